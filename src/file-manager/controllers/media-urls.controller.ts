import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiGoneResponse, ApiOkResponse, ApiPartialContentResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../../auth/auth.decorators.js';
import type { MediaUrlSegments } from '../media-urls/media-url-signer.js';
import { MediaUrlsService } from '../media-urls/media-urls.service.js';
import { contentConditionsOf, sendContent } from './content-response.js';

/** The signed content URLs of file views (`urls.content`): no Authorization header, the signature is the right. */
@ApiTags('media files')
@Controller('media')
export class MediaUrlsController {
  constructor(private readonly mediaUrls: MediaUrlsService) {}

  @Get(':kind/:id/:hash/:scope/:expires/:signature')
  @Public()
  @ApiOkResponse({ description: 'the bytes' })
  @ApiPartialContentResponse({ description: 'the requested byte range' })
  @ApiGoneResponse({ description: 'the URL expired (MEDIA_URL_EXPIRED)' })
  async content(@Param() segments: MediaUrlSegments, @Req() request: Request, @Res() response: Response) {
    const answer = await this.mediaUrls.open(segments, contentConditionsOf(request));
    // Active types (HTML, SVG, XML, scripts) only as attachment: a URL we sign never renders them inline.
    await sendContent(answer, response, { passiveInlineOnly: true });
  }
}
