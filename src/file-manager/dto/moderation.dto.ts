import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { PaginationQueryDto } from '../../common/pagination.js';
import { HasVisibleCharacter } from '../../common/visible-text.js';
import { ACCESS_LEVELS, PENDING_STATUSES, type AccessLevel, type PendingStatus } from '../entities/columns.js';
import { IsMetadata, METADATA_MAX_BYTES, type Metadata } from '../metadata.js';
import { IsOmittable } from '../../common/validation.js';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class ApproveDto {
  @ApiProperty({ maxLength: 255 })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  @HasVisibleCharacter()
  title: string;

  @ApiPropertyOptional({ pattern: '^[a-z0-9]+(-[a-z0-9]+)*$' })
  @IsOmittable()
  @IsString()
  @MaxLength(200)
  @Matches(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, { message: 'slug must be lowercase a-z, 0-9 and single dashes' })
  slug?: string;

  @ApiPropertyOptional()
  @IsOmittable()
  @IsString()
  @MaxLength(10_000)
  description?: string;

  @ApiPropertyOptional({ type: [String], format: 'uuid' })
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true })
  tagIds?: string[];

  @ApiPropertyOptional({ type: [String], format: 'uuid' })
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true })
  collectionIds?: string[];

  @ApiPropertyOptional({ enum: ACCESS_LEVELS, default: 'members' })
  @IsOmittable()
  @IsIn(ACCESS_LEVELS)
  accessLevel?: AccessLevel;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: `free-form JSON object, at most ${METADATA_MAX_BYTES} bytes serialized; replaces the current one`,
  })
  @IsOmittable()
  @IsMetadata()
  metadata?: Metadata;

  @ApiPropertyOptional({ maxLength: 10_000, description: "the seed's annotation, kept as `metadata.annotation`" })
  @IsOmittable()
  @IsString()
  @MaxLength(10_000)
  annotation?: string;
}

export class RejectDto {
  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOmittable()
  @IsString()
  @MaxLength(2000)
  reason?: string;
}

export class BulkApprovalItemDto extends ApproveDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  pendingFileId: string;
}

export class BulkApproveDto {
  @ApiProperty({ type: [BulkApprovalItemDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  @Type(() => BulkApprovalItemDto)
  approvals: BulkApprovalItemDto[];
}

export class BulkRejectDto {
  @ApiProperty({ type: [String], format: 'uuid' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @IsUUID('all', { each: true })
  ids: string[];

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOmittable()
  @IsString()
  @MaxLength(2000)
  reason?: string;
}

export class PendingListQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ enum: PENDING_STATUSES, default: 'pending' })
  @IsOptional()
  @IsIn(PENDING_STATUSES)
  status: PendingStatus = 'pending';
}

export class CheckHashesDto {
  @ApiProperty({ type: [String], maxItems: 1000, description: 'lowercase hex SHA-256' })
  @IsArray()
  @ArrayMaxSize(1000)
  @Matches(/^[0-9a-f]{64}$/, { each: true, message: 'each hash must be 64 lowercase hex characters' })
  hashes: string[];
}
