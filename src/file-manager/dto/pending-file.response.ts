import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_STATUS, type ErrorCode } from '../../common/errors/error-codes.js';
import { PageResponse } from '../../common/openapi/page.response.js';
import { FILE_TYPES, PENDING_STATUSES, type FileType, type PendingStatus } from '../entities/columns.js';
import { UserRefResponse } from '../../auth/dto/user.response.js';
import { MediaFileResponse, MediaUrlsResponse } from './media-file.response.js';
import { MediaInfoResponse, RenditionsResponse } from './renditions.response.js';

/** `pendingFile` of the contract: an upload waiting for (or past) moderation. */
export class PendingFileResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() originalFilename: string;
  @ApiProperty({ type: 'integer', description: 'bytes' }) fileSize: number;
  @ApiProperty() contentType: string;
  @ApiProperty({ enum: FILE_TYPES, enumName: 'FileType' }) fileType: FileType;
  @ApiProperty({ pattern: '^[0-9a-f]{64}$' }) hash: string;
  @ApiPropertyOptional({ type: 'integer' }) width?: number;
  @ApiPropertyOptional({ type: 'integer' }) height?: number;
  @ApiProperty() folderPath: string;
  @ApiProperty({ enum: PENDING_STATUSES, enumName: 'PendingStatus' }) status: PendingStatus;
  @ApiPropertyOptional({ description: 'why it was rejected' }) reason?: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'the media file it was approved into' }) mediaFileId?: string;
  @ApiPropertyOptional({
    format: 'uuid',
    description: "a replacement of this media file's content (its uploader's): approving it applies it to that file",
  })
  replacesMediaFileId?: string;

  @ApiProperty({ format: 'date-time' }) expiresAt: string;
  @ApiProperty({ type: UserRefResponse, description: 'the first uploader of the current round' })
  uploadedBy: UserRefResponse;

  @ApiProperty({ type: UserRefResponse, isArray: true, description: 'every member who uploaded this content' })
  uploaders: UserRefResponse[];

  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
  @ApiProperty({ type: MediaUrlsResponse, description: 'signed for its uploaders and admins' }) urls: MediaUrlsResponse;
  @ApiProperty({ type: RenditionsResponse }) renditions: RenditionsResponse;
  @ApiPropertyOptional({ description: 'thumbhash of the thumbnail, base64 (blur-up), once ready' })
  placeholder?: string;
  @ApiPropertyOptional({ type: MediaInfoResponse, description: 'extracted from the content, once rendered' })
  mediaInfo?: MediaInfoResponse;
}

export class PendingFilePageResponse extends PageResponse(PendingFileResponse) {}

export class ApproveResponse {
  @ApiProperty({ enum: ['approved'] }) status: 'approved';
  @ApiProperty({ type: MediaFileResponse }) mediaFile: MediaFileResponse;
}

/** A member's `PUT /api/files/:id/content`: the replacement waits for moderation. */
export class PendingReplacementResponse {
  @ApiProperty({ enum: ['pending'] }) status: 'pending';
  @ApiProperty({ type: PendingFileResponse, description: 'carries `replacesMediaFileId`' })
  pendingFile: PendingFileResponse;
}

export class RejectResponse {
  @ApiProperty({ enum: ['rejected'] }) status: 'rejected';
  @ApiProperty({ type: PendingFileResponse }) pendingFile: PendingFileResponse;
}

/** Why one item of a bulk request failed: the error body's `code`, `message` and `details`. */
export class ItemErrorResponse {
  @ApiProperty({ enum: Object.keys(ERROR_STATUS), enumName: 'ErrorCode' }) code: ErrorCode;
  @ApiProperty() message: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) details?: Record<string, unknown>;
}

export class BulkApproveItemResponse {
  @ApiProperty({ format: 'uuid' }) pendingFileId: string;
  @ApiProperty({ enum: ['approved', 'error'] }) status: 'approved' | 'error';
  @ApiPropertyOptional({ format: 'uuid' }) mediaFileId?: string;
  @ApiPropertyOptional({ type: ItemErrorResponse }) error?: ItemErrorResponse;
}

export class BulkApproveSummaryResponse {
  @ApiProperty({ type: 'integer' }) total: number;
  @ApiProperty({ type: 'integer' }) approved: number;
  @ApiProperty({ type: 'integer' }) errors: number;
}

export class BulkApproveResponse {
  @ApiProperty({ type: BulkApproveItemResponse, isArray: true }) results: BulkApproveItemResponse[];
  @ApiProperty({ type: BulkApproveSummaryResponse }) summary: BulkApproveSummaryResponse;
}

export class BulkRejectItemResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: ['rejected', 'error'] }) status: 'rejected' | 'error';
  @ApiPropertyOptional({ type: ItemErrorResponse }) error?: ItemErrorResponse;
}

export class BulkRejectSummaryResponse {
  @ApiProperty({ type: 'integer' }) total: number;
  @ApiProperty({ type: 'integer' }) rejected: number;
  @ApiProperty({ type: 'integer' }) errors: number;
}

export class BulkRejectResponse {
  @ApiProperty({ type: BulkRejectItemResponse, isArray: true }) results: BulkRejectItemResponse[];
  @ApiProperty({ type: BulkRejectSummaryResponse }) summary: BulkRejectSummaryResponse;
}
