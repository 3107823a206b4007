import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { ERROR_STATUS, type ErrorCode } from '../../common/errors/error-codes.js';
import { MediaFileResponse } from './media-file.response.js';
import { PendingFileResponse } from './pending-file.response.js';

const UPLOAD_STATUSES = ['pending', 'pending_updated', 'exists', 'error'] as const;
const HASH_STATUSES = ['new', 'pending', 'exists', 'trashed'] as const;

/** The file an upload's content already is, when the caller may not see it: only its id. */
export class MediaFileIdResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
}

export class UploadErrorResponse {
  @ApiProperty({ enum: Object.keys(ERROR_STATUS), enumName: 'ErrorCode' }) code: ErrorCode;
  @ApiProperty() message: string;
}

export class UploadResultResponse {
  @ApiProperty() filename: string;
  @ApiProperty({ enum: UPLOAD_STATUSES }) status: (typeof UPLOAD_STATUSES)[number];
  @ApiPropertyOptional({ pattern: '^[0-9a-f]{64}$' }) hash?: string;
  @ApiPropertyOptional({ type: PendingFileResponse }) pendingFile?: PendingFileResponse;
  @ApiPropertyOptional({
    anyOf: [{ $ref: getSchemaPath(MediaFileResponse) }, { $ref: getSchemaPath(MediaFileIdResponse) }],
    description: 'the active file that already has this content (only its id when the caller may not see it)',
  })
  mediaFile?: MediaFileResponse | MediaFileIdResponse;

  @ApiPropertyOptional({ type: UploadErrorResponse }) error?: UploadErrorResponse;
}

export class UploadReportResponse {
  @ApiProperty({ type: UploadResultResponse, isArray: true }) results: UploadResultResponse[];
  @ApiProperty({ type: 'integer' }) successCount: number;
  @ApiProperty({ type: 'integer' }) errorCount: number;
}

export class HashCheckResultResponse {
  @ApiProperty({ pattern: '^[0-9a-f]{64}$' }) hash: string;
  @ApiProperty({ enum: HASH_STATUSES }) status: (typeof HASH_STATUSES)[number];
}

export class HashCheckResponse {
  @ApiProperty({ type: HashCheckResultResponse, isArray: true }) results: HashCheckResultResponse[];
}
