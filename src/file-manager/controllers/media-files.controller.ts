import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Redirect,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
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
import { ParseUuidPipe } from '../../common/parse-uuid.pipe.js';
import { RateLimit } from '../../http/rate-limit.js';
import { CurrentUser, Public } from '../../auth/auth.decorators.js';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import {
  BulkFilesDto,
  DownloadQueryDto,
  MediaFileListQueryDto,
  SlugAvailabilityQueryDto,
  UpdateMediaFileDto,
} from '../dto/library.dto.js';
import { BulkFilesResponse, SlugAvailabilityResponse } from '../dto/library-operations.response.js';
import { LibrarySearchService } from '../services/library-search.service.js';
import { MediaContentService } from '../services/media-content.service.js';
import { ApiRendition, contentConditionsOf, RENDITION_SUMMARY as SUMMARY, sendContent } from './content-response.js';
import { MediaFileDetailsService, type SlugAvailability } from '../services/media-file-details.service.js';
import { ContentReplacementService } from '../services/content-replacement.service.js';
import { MediaFileBulkService, type BulkFilesResult } from '../services/media-file-bulk.service.js';
import { MediaFileUpdatesService } from '../services/media-file-updates.service.js';
import { MediaFilePageResponse, MediaFileResponse } from '../dto/media-file.response.js';
import { PendingReplacementResponse } from '../dto/pending-file.response.js';

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
    private readonly bulk: MediaFileBulkService,
    private readonly replacements: ContentReplacementService,
  ) {}

  @Get()
  @Public()
  @ApiOperation({ operationId: 'listFiles' })
  @ApiOkResponse({ type: MediaFilePageResponse })
  list(@Query() query: MediaFileListQueryDto, @CurrentUser() user?: AuthenticatedUser): Promise<MediaFilePageResponse> {
    return this.search.list(query, user);
  }

  @Post('bulk')
  @HttpCode(200)
  @ApiOperation({ operationId: 'bulkEditFiles', summary: 'One action on up to 100 files, with a result per file' })
  @ApiOkResponse({ type: BulkFilesResponse })
  bulkEdit(@Body() body: BulkFilesDto, @CurrentUser() user: AuthenticatedUser): Promise<BulkFilesResult> {
    return this.bulk.run(body, user);
  }

  // Declared before `:id` so that "slug-available" is never taken for an id.
  @Get('slug-available')
  @ApiOperation({ operationId: 'checkSlugAvailable', summary: 'Whether a media file slug is free, and a free one' })
  @ApiOkResponse({ type: SlugAvailabilityResponse })
  slugAvailable(@Query() query: SlugAvailabilityQueryDto): Promise<SlugAvailability> {
    return this.details.slugAvailability(query.slug);
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

  @Put(':id/content')
  // Bytes like an upload's, so the same limits (concurrent requests and bytes per minute per user).
  @RateLimit('upload')
  @ApiOperation({
    operationId: 'replaceFileContent',
    summary: 'Replace the content, keeping the file',
    description:
      "An admin's replacement applies at once (200). Its uploader's (a member) waits for moderation (201): a pending " +
      'file with `replacesMediaFileId`, applied to the file when an admin approves it. Identical content: 200, ' +
      'nothing changes.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } },
  })
  @ApiOkResponse({ type: MediaFileResponse, description: 'the file at its new content (version + 1 unless identical)' })
  @ApiCreatedResponse({ type: PendingReplacementResponse, description: "a member's replacement, waiting for approval" })
  @ApiErrors(403, 404, 409, 415, 422, 429)
  async replaceContent(
    @Param('id', ParseUuidPipe) id: string,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
    @CurrentUser() user: AuthenticatedUser,
  ): Promise<MediaFileResponse | PendingReplacementResponse> {
    const answer = await this.replacements.replace(request, id, user);
    if (answer.kind === 'file') return answer.mediaFile;
    response.status(201);
    return answer.body;
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
    await sendContent(await this.contents.content(id, contentConditionsOf(request), user), response);
  }

  @Get(':id/thumbnail')
  @Public()
  @ApiRendition({ operationId: 'getFileThumbnail', summary: SUMMARY('thumbnail') })
  async thumbnail(
    @Param('id', ParseUuidPipe) id: string,
    @Req() request: Request,
    @Res() response: Response,
    @CurrentUser() user?: AuthenticatedUser,
  ): Promise<void> {
    await sendContent(await this.contents.rendition(id, 'thumbnail', contentConditionsOf(request), user), response);
  }

  @Get(':id/preview')
  @Public()
  @ApiRendition({ operationId: 'getFilePreview', summary: SUMMARY('preview') })
  async preview(
    @Param('id', ParseUuidPipe) id: string,
    @Req() request: Request,
    @Res() response: Response,
    @CurrentUser() user?: AuthenticatedUser,
  ): Promise<void> {
    await sendContent(await this.contents.rendition(id, 'preview', contentConditionsOf(request), user), response);
  }
}
