import { Body, Controller, Get, Header, Param, Patch, Query, Redirect, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPartialContentResponse,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors } from '../../common/openapi/api-errors.decorator.js';
import { BINARY_CONTENT } from '../../common/openapi/binary.js';
import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { ParseUuidPipe } from '../../common/parse-uuid.pipe.js';
import { CurrentUser, Public } from '../../auth/auth.decorators.js';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import { contentDisposition } from '../../storage/content-disposition.js';
import { DownloadQueryDto, MediaFileListQueryDto, UpdateMediaFileDto } from '../dto/library.dto.js';
import { RangeNotSatisfiableException } from '../../storage/storage.errors.js';
import { LibrarySearchService } from '../services/library-search.service.js';
import { MediaContentService, type MediaContent } from '../services/media-content.service.js';
import { MediaFileDetailsService } from '../services/media-file-details.service.js';
import { MediaFileUpdatesService } from '../services/media-file-updates.service.js';
import { MediaFilePageResponse, MediaFileResponse } from '../dto/media-file.response.js';

/** The library: every read is public at the route level and filtered by access level in the service. */
@ApiTags('media files')
@ApiBearerAuth()
@Controller('files')
export class MediaFilesController {
  constructor(
    private readonly search: LibrarySearchService,
    private readonly details: MediaFileDetailsService,
    private readonly updates: MediaFileUpdatesService,
    private readonly contents: MediaContentService,
  ) {}

  @Get()
  @Public()
  @ApiOperation({ operationId: 'listFiles' })
  @ApiOkResponse({ type: MediaFilePageResponse })
  list(@Query() query: MediaFileListQueryDto, @CurrentUser() user?: AuthenticatedUser): Promise<MediaFilePageResponse> {
    return this.search.list(query, user);
  }

  // Declared before `:id` so that "by-slug" is never taken for an id.
  @Get('by-slug/:slug')
  @Public()
  @ApiOperation({ operationId: 'getFileBySlug' })
  @ApiOkResponse({ type: MediaFileResponse })
  @ApiErrors(404)
  getBySlug(@Param('slug') slug: string, @CurrentUser() user?: AuthenticatedUser): Promise<MediaFileResponse> {
    return this.details.getBySlug(slug, user);
  }

  @Get(':id')
  @Public()
  @ApiOperation({ operationId: 'getFile' })
  @ApiOkResponse({ type: MediaFileResponse })
  @ApiErrors(404)
  get(@Param('id', ParseUuidPipe) id: string, @CurrentUser() user?: AuthenticatedUser): Promise<MediaFileResponse> {
    return this.details.get(id, user);
  }

  @Patch(':id')
  @ApiOperation({ operationId: 'updateFile' })
  @ApiOkResponse({ type: MediaFileResponse })
  @ApiErrors(403, 404, 409)
  update(
    @Param('id', ParseUuidPipe) id: string,
    @Body() body: UpdateMediaFileDto,
    @CurrentUser() user: AuthenticatedUser,
  ): Promise<MediaFileResponse> {
    return this.updates.update(id, body, user);
  }

  @Get(':id/download')
  @Public()
  @Redirect()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ operationId: 'downloadFile' })
  @ApiFoundResponse({
    description: 'redirect to a short-lived signed URL of the object store',
    headers: { Location: { schema: { type: 'string', format: 'uri' } } },
  })
  @ApiErrors(404)
  async download(
    @Param('id', ParseUuidPipe) id: string,
    @Query() query: DownloadQueryDto,
    @CurrentUser() user?: AuthenticatedUser,
  ): Promise<{ url: string; statusCode: number }> {
    return { url: await this.contents.downloadUrl(id, query.inline ?? false, user), statusCode: 302 };
  }

  @Get(':id/content')
  @Public()
  @ApiOperation({ operationId: 'getFileContent' })
  @ApiOkResponse({ description: 'the bytes', content: BINARY_CONTENT })
  @ApiPartialContentResponse({ description: 'the requested byte range', content: BINARY_CONTENT })
  @ApiResponse({ status: 304, description: 'not modified (`If-None-Match` matched the ETag)' })
  @ApiErrors(404, 416)
  async content(
    @Param('id', ParseUuidPipe) id: string,
    @Req() request: Request,
    @Res() response: Response,
    @CurrentUser() user?: AuthenticatedUser,
  ): Promise<void> {
    const answer = await this.contents.content(
      id,
      {
        range: request.get('range'),
        ifRange: request.get('if-range'),
        ifNoneMatch: request.get('if-none-match'),
        withBody: request.method !== 'HEAD',
      },
      user,
    );
    response.set(validatorHeaders(answer.content));
    if (answer.kind === 'not-modified') {
      response.status(304).end();
      return;
    }
    if (answer.kind === 'unsatisfiable') {
      // The header is HTTP's; the body is the contract's error, written by the exception filter like any other.
      response.set('Content-Range', `bytes */${answer.content.size}`);
      throw new RangeNotSatisfiableException(answer.content.size);
    }
    const { content, range, body } = answer;
    response.set({
      'Content-Type': content.contentType,
      'Content-Disposition': contentDisposition(content.originalFilename, true),
      'X-Content-Type-Options': 'nosniff',
      // Uploaded content is untrusted: never let it run script in our origin.
      'Content-Security-Policy': "sandbox; default-src 'none'",
    });
    if (range) {
      response.status(206).set({
        'Content-Range': `bytes ${range.start}-${range.end}/${content.size}`,
        'Content-Length': String(range.end - range.start + 1),
      });
    } else {
      response.status(200).set('Content-Length', String(content.size));
    }
    if (!body) {
      response.end();
      return;
    }
    // A failure mid-stream can't become an error body any more: pipeline destroys the response (cut connection).
    await pipeline(body, response).catch(() => undefined);
  }
}

function validatorHeaders(content: MediaContent): Record<string, string> {
  return { ETag: content.etag, 'Accept-Ranges': 'bytes', 'Cache-Control': 'private, no-cache' };
}
