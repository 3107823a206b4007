import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../common/openapi/api-errors.decorator.js';
import { BINARY_CONTENT } from '../../common/openapi/binary.js';
import type { Request, Response } from 'express';
import { ParseUuidPipe } from '../../common/parse-uuid.pipe.js';
import { CurrentUser, Roles } from '../../auth/auth.decorators.js';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import { ApproveDto, BulkApproveDto, BulkRejectDto, PendingListQueryDto, RejectDto } from '../dto/moderation.dto.js';
import {
  ApproveResponse,
  BulkApproveResponse,
  BulkRejectResponse,
  PendingFilePageResponse,
  PendingFileResponse,
  RejectResponse,
} from '../dto/pending-file.response.js';
import { ModerationService } from '../services/moderation.service.js';
import { MediaContentService } from '../services/media-content.service.js';
import { ApiRendition, contentConditionsOf, RENDITION_SUMMARY as SUMMARY, sendContent } from './content-response.js';
import { contentDisposition } from '../../storage/content-disposition.js';

@ApiTags('pending files')
@ApiBearerAuth()
@Controller('pending')
export class PendingFilesController {
  constructor(
    private readonly moderation: ModerationService,
    private readonly contents: MediaContentService,
  ) {}

  @Get()
  @ApiOperation({ operationId: 'listPendingFiles' })
  @ApiOkResponse({ type: PendingFilePageResponse })
  list(@Query() query: PendingListQueryDto, @CurrentUser() user: AuthenticatedUser): Promise<PendingFilePageResponse> {
    return this.moderation.list(query, user);
  }

  @Post('bulk-approve')
  @Roles('admin')
  @HttpCode(200)
  @ApiOperation({ operationId: 'bulkApprovePendingFiles' })
  @ApiOkResponse({ type: BulkApproveResponse })
  @ApiErrors(403)
  bulkApprove(@Body() body: BulkApproveDto, @CurrentUser() admin: AuthenticatedUser): Promise<BulkApproveResponse> {
    return this.moderation.bulkApprove(body, admin);
  }

  @Post('bulk-reject')
  @Roles('admin')
  @HttpCode(200)
  @ApiOperation({ operationId: 'bulkRejectPendingFiles' })
  @ApiOkResponse({ type: BulkRejectResponse })
  @ApiErrors(403)
  bulkReject(@Body() body: BulkRejectDto, @CurrentUser() admin: AuthenticatedUser): Promise<BulkRejectResponse> {
    return this.moderation.bulkReject(body, admin);
  }

  @Get(':id')
  @ApiOperation({ operationId: 'getPendingFile' })
  @ApiOkResponse({ type: PendingFileResponse })
  @ApiErrors(404)
  get(@Param('id', ParseUuidPipe) id: string, @CurrentUser() user: AuthenticatedUser): Promise<PendingFileResponse> {
    return this.moderation.get(id, user);
  }

  @Get(':id/content')
  @ApiOperation({ operationId: 'getPendingFileContent' })
  @ApiOkResponse({ description: 'the bytes, inline', content: BINARY_CONTENT })
  @ApiErrors(404)
  async content(
    @Param('id', ParseUuidPipe) id: string,
    @CurrentUser() user: AuthenticatedUser,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile> {
    const { file, size, body } = await this.moderation.content(id, user);
    response.set({
      'Content-Type': file.contentType,
      'Content-Length': String(size),
      'Content-Disposition': contentDisposition(file.originalFilename, true),
      'X-Content-Type-Options': 'nosniff',
      // Uploaded content is untrusted: never let it run script in our origin.
      'Content-Security-Policy': "sandbox; default-src 'none'",
    });
    return new StreamableFile(body);
  }

  @Get(':id/thumbnail')
  @ApiRendition({ operationId: 'getPendingFileThumbnail', summary: SUMMARY('thumbnail') })
  async thumbnail(
    @Param('id', ParseUuidPipe) id: string,
    @CurrentUser() user: AuthenticatedUser,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const answer = await this.contents.pendingRendition(id, 'thumbnail', contentConditionsOf(request), user);
    await sendContent(answer, response);
  }

  @Get(':id/preview')
  @ApiRendition({ operationId: 'getPendingFilePreview', summary: SUMMARY('preview') })
  async preview(
    @Param('id', ParseUuidPipe) id: string,
    @CurrentUser() user: AuthenticatedUser,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const answer = await this.contents.pendingRendition(id, 'preview', contentConditionsOf(request), user);
    await sendContent(answer, response);
  }

  @Post(':id/approve')
  @Roles('admin')
  @ApiOperation({ operationId: 'approvePendingFile' })
  @ApiCreatedResponse({ type: ApproveResponse })
  @ApiErrors(403, 404, 409)
  approve(
    @Param('id', ParseUuidPipe) id: string,
    @Body() body: ApproveDto,
    @CurrentUser() admin: AuthenticatedUser,
  ): Promise<ApproveResponse> {
    return this.moderation.approve(id, body, admin);
  }

  @Post(':id/reject')
  @Roles('admin')
  @HttpCode(200)
  @ApiOperation({ operationId: 'rejectPendingFile' })
  @ApiOkResponse({ type: RejectResponse })
  @ApiErrors(403, 404, 409)
  reject(
    @Param('id', ParseUuidPipe) id: string,
    @Body() body: RejectDto,
    @CurrentUser() admin: AuthenticatedUser,
  ): Promise<RejectResponse> {
    return this.moderation.reject(id, body.reason, admin);
  }
}
