import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { applyDecorators } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiPartialContentResponse,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../../auth/auth.decorators.js';
import { ApiErrors } from '../../common/openapi/api-errors.decorator.js';
import { BINARY_CONTENT } from '../../common/openapi/binary.js';
import type { MediaUrlSegments } from '../media-urls/media-url-signer.js';
import { MediaUrlsService } from '../media-urls/media-urls.service.js';
import { ApiRendition, contentConditionsOf, sendContent } from './content-response.js';

/** The segments of a signed media URL, for the document: opaque to clients, who use the URL as a view gives it. */
function ApiMediaUrlParams(withRendition: boolean) {
  return applyDecorators(
    ApiParam({ name: 'kind', type: String, enum: ['files', 'pending'] }),
    ApiParam({ name: 'id', type: String, format: 'uuid' }),
    ApiParam({ name: 'hash', type: String, description: 'the content named' }),
    ...(withRendition ? [ApiParam({ name: 'rendition', type: String, enum: ['thumbnail', 'preview'] })] : []),
    ApiParam({ name: 'scope', type: String, description: '`public`, `<userId>` or `<userId>.<sessionId>`' }),
    ApiParam({ name: 'expires', type: String, description: 'Unix seconds' }),
    ApiParam({ name: 'signature', type: String }),
  );
}

/** The signed content URLs of file views (`urls.content`): no Authorization header, the signature is the right. */
@ApiTags('media files')
@Controller('media')
export class MediaUrlsController {
  constructor(private readonly mediaUrls: MediaUrlsService) {}

  @Get(':kind/:id/:hash/:scope/:expires/:signature')
  @Public()
  @ApiOperation({
    operationId: 'getSignedContent',
    description: "A file view's `urls.content`: use it as given, never build one (see docs/media-urls.md).",
  })
  @ApiOkResponse({ description: 'the bytes', content: BINARY_CONTENT })
  @ApiPartialContentResponse({ description: 'the requested byte range', content: BINARY_CONTENT })
  @ApiResponse({ status: 304, description: 'not modified (`If-None-Match` matched the ETag)' })
  @ApiErrors(403, 404, 410, 416)
  @ApiMediaUrlParams(false)
  async content(@Param() segments: MediaUrlSegments, @Req() request: Request, @Res() response: Response) {
    const answer = await this.mediaUrls.open(segments, contentConditionsOf(request));
    // Active types (HTML, SVG, XML, scripts) only as attachment: a URL we sign never renders them inline.
    await sendContent(answer, response, { passiveInlineOnly: true });
  }

  // Seven segments: never confused with a content URL's six.
  @Get(':kind/:id/:hash/:rendition/:scope/:expires/:signature')
  @Public()
  @ApiRendition(
    {
      operationId: 'getSignedRendition',
      summary: "A file view's `urls.thumbnail` or `urls.preview` (WebP)",
      description: 'Use it as given, never build one (see docs/media-urls.md). Never counted as a download.',
    },
    [403, 404, 410],
  )
  @ApiMediaUrlParams(true)
  async rendition(@Param() segments: MediaUrlSegments, @Req() request: Request, @Res() response: Response) {
    await sendContent(await this.mediaUrls.open(segments, contentConditionsOf(request)), response);
  }
}
