import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_STATUS, type ErrorCode } from '../errors/error-codes.js';

/** The contract's error body, as `AllExceptionsFilter` writes it for every failure. */
export class ErrorResponse {
  @ApiProperty({ type: 'integer', example: 409 }) statusCode: number;
  @ApiProperty({ example: 'Conflict', description: 'the HTTP reason phrase' }) error: string;
  @ApiProperty({ enum: Object.keys(ERROR_STATUS), enumName: 'ErrorCode', example: 'DUPLICATE_CONTENT' })
  code: ErrorCode;
  @ApiProperty({ description: 'for people; machines read `code`' }) message: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'machine-readable specifics; may be empty' })
  details: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'also sent as the X-Request-Id header' }) requestId?: string;
}
