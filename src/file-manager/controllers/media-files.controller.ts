import { Body, Controller, Get, Header, Param, Patch, Query, Redirect, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiFoundResponse, ApiOkResponse, ApiPartialContentResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ParseUuidPipe } from '../../common/parse-uuid.pipe.js';
import { CurrentUser, Public } from '../../auth/auth.decorators.js';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import type { Page } from '../../common/pagination.js';
import { DownloadQueryDto, MediaFileListQueryDto, UpdateMediaFileDto } from '../dto/library.dto.js';
import { LibrarySearchService } from '../services/library-search.service.js';
import { MediaContentService } from '../services/media-content.service.js';
import { contentConditionsOf, sendContent } from './content-response.js';
import { MediaFileDetailsService } from '../services/media-file-details.service.js';
import { MediaFileUpdatesService } from '../services/media-file-updates.service.js';
import type { MediaFileView } from '../views.js';

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
  list(@Query() query: MediaFileListQueryDto, @CurrentUser() user?: AuthenticatedUser): Promise<Page<MediaFileView>> {
    return this.search.list(query, user);
  }

  // Declared before `:id` so that "by-slug" is never taken for an id.
  @Get('by-slug/:slug')
  @Public()
  getBySlug(@Param('slug') slug: string, @CurrentUser() user?: AuthenticatedUser): Promise<MediaFileView> {
    return this.details.getBySlug(slug, user);
  }

  @Get(':id')
  @Public()
  get(@Param('id', ParseUuidPipe) id: string, @CurrentUser() user?: AuthenticatedUser): Promise<MediaFileView> {
    return this.details.get(id, user);
  }

  @Patch(':id')
  update(
    @Param('id', ParseUuidPipe) id: string,
    @Body() body: UpdateMediaFileDto,
    @CurrentUser() user: AuthenticatedUser,
  ): Promise<MediaFileView> {
    return this.updates.update(id, body, user);
  }

  @Get(':id/download')
  @Public()
  @Redirect()
  @Header('Cache-Control', 'no-store')
  @ApiFoundResponse({ description: 'redirect to a short-lived signed URL of the object store' })
  async download(
    @Param('id', ParseUuidPipe) id: string,
    @Query() query: DownloadQueryDto,
    @CurrentUser() user?: AuthenticatedUser,
  ): Promise<{ url: string; statusCode: number }> {
    return { url: await this.contents.downloadUrl(id, query.inline ?? false, user), statusCode: 302 };
  }

  @Get(':id/content')
  @Public()
  @ApiOkResponse({ description: 'the bytes' })
  @ApiPartialContentResponse({ description: 'the requested byte range' })
  async content(
    @Param('id', ParseUuidPipe) id: string,
    @Req() request: Request,
    @Res() response: Response,
    @CurrentUser() user?: AuthenticatedUser,
  ): Promise<void> {
    await sendContent(await this.contents.content(id, contentConditionsOf(request), user), response);
  }
}
