import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_STATUS, type ErrorCode } from '../../common/errors/error-codes.js';

/** Response shapes of the library operations (`docs/library-operations.md`), for the OpenAPI document. */

export class SlugAvailabilityResponse {
  @ApiProperty({ description: 'the slug asked about, as given' }) slug: string;
  @ApiProperty({ description: 'a well-formed slug no media file (active or trashed) holds' }) available: boolean;
  @ApiProperty({ description: 'what the allocator would give now' }) suggestion: string;
}

export class CollectionFilesAddedResponse {
  @ApiProperty({ type: 'integer', description: 'files that were not in the collection yet' }) added: number;
}

export class CollectionFilesRemovedResponse {
  @ApiProperty({ type: 'integer', description: 'files that were in the collection' }) removed: number;
}

/** Why one file of a bulk edit failed: the code, message and details its single request would answer. */
export class BulkFileErrorResponse {
  @ApiProperty({ enum: Object.keys(ERROR_STATUS), enumName: 'ErrorCode' }) code: ErrorCode;
  @ApiProperty() message: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) details?: Record<string, unknown>;
}

export class BulkFileResultResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: ['ok', 'error'] }) status: 'ok' | 'error';
  @ApiPropertyOptional({ type: BulkFileErrorResponse }) error?: BulkFileErrorResponse;
}

export class BulkFilesSummaryResponse {
  @ApiProperty({ type: 'integer' }) total: number;
  @ApiProperty({ type: 'integer' }) ok: number;
  @ApiProperty({ type: 'integer' }) errors: number;
}

export class BulkFilesResponse {
  @ApiProperty({ type: BulkFileResultResponse, isArray: true, description: 'one per id asked' })
  results: BulkFileResultResponse[];

  @ApiProperty({ type: BulkFilesSummaryResponse }) summary: BulkFilesSummaryResponse;
}
