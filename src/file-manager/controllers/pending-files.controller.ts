import { Body, Controller, Get, HttpCode, Param, Post, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ParseUuidPipe } from '../../common/parse-uuid.pipe.js';
import { CurrentUser, Roles } from '../../auth/auth.decorators.js';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import type { Page } from '../../common/pagination.js';
import { ApproveDto, BulkApproveDto, BulkRejectDto, PendingListQueryDto, RejectDto } from '../dto/moderation.dto.js';
import { ModerationService, type BulkApproveResult, type BulkRejectResult } from '../services/moderation.service.js';
import { contentDisposition } from '../../storage/content-disposition.js';
import type { MediaFileView, PendingFileView } from '../views.js';


@ApiTags('pending files')
@ApiBearerAuth()
@Controller('pending')
export class PendingFilesController {
  constructor(private readonly moderation: ModerationService) {}

  @Get()
  list(@Query() query: PendingListQueryDto, @CurrentUser() user: AuthenticatedUser): Promise<Page<PendingFileView>> {
    return this.moderation.list(query, user);
  }

  @Post('bulk-approve')
  @Roles('admin')
  @HttpCode(200)
  bulkApprove(@Body() body: BulkApproveDto, @CurrentUser() admin: AuthenticatedUser): Promise<BulkApproveResult> {
    return this.moderation.bulkApprove(body, admin);
  }

  @Post('bulk-reject')
  @Roles('admin')
  @HttpCode(200)
  bulkReject(@Body() body: BulkRejectDto, @CurrentUser() admin: AuthenticatedUser): Promise<BulkRejectResult> {
    return this.moderation.bulkReject(body, admin);
  }

  @Get(':id')
  get(@Param('id', ParseUuidPipe) id: string, @CurrentUser() user: AuthenticatedUser): Promise<PendingFileView> {
    return this.moderation.get(id, user);
  }

  @Get(':id/content')
  @ApiOkResponse({ description: 'the bytes, inline' })
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

  @Post(':id/approve')
  @Roles('admin')
  @ApiCreatedResponse({ description: '{ status: "approved", mediaFile }' })
  approve(
    @Param('id', ParseUuidPipe) id: string,
    @Body() body: ApproveDto,
    @CurrentUser() admin: AuthenticatedUser,
  ): Promise<{ status: 'approved'; mediaFile: MediaFileView }> {
    return this.moderation.approve(id, body, admin);
  }

  @Post(':id/reject')
  @Roles('admin')
  @HttpCode(200)
  reject(
    @Param('id', ParseUuidPipe) id: string,
    @Body() body: RejectDto,
    @CurrentUser() admin: AuthenticatedUser,
  ): Promise<{ status: 'rejected'; pendingFile: PendingFileView }> {
    return this.moderation.reject(id, body.reason, admin);
  }
}
