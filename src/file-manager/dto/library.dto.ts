import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { MAX_BIGINT_NUMBER } from '../../common/numeric-ranges.js';
import { PaginationQueryDto } from '../../common/pagination.js';
import { ACCESS_LEVELS, FILE_TYPES, type AccessLevel, type FileType } from '../entities/columns.js';
import { ApproveDto } from './moderation.dto.js';

export const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/**
 * A list in the query string arrives as a string (`?tagIds=a`), an array (`?tagIds=a&tagIds=b`, `?tagIds[]=a`) or a
 * comma-separated string (`?tagIds=a,b`); all become an array of non-empty strings.
 */
export const queryList = ({ value }: { value: unknown }) => {
  if (value === undefined || value === null || value === '') return undefined;
  const items = Array.isArray(value) ? value : [value];
  return items
    .flatMap((item) => String(item).split(','))
    .map((item) => item.trim())
    .filter((item) => item !== '');
};

/** `?inline=true` / `1` / `yes`; anything else that is present is refused by the validator. */
export const queryBoolean = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  if (['true', '1', 'yes'].includes(value.toLowerCase())) return true;
  if (['false', '0', 'no', ''].includes(value.toLowerCase())) return false;
  return value;
};

export const MEDIA_ORDERINGS = ['title', 'createdAt', 'fileSize', 'downloadCount'] as const;
export type MediaOrderingField = (typeof MEDIA_ORDERINGS)[number];
const ORDERING_VALUES = MEDIA_ORDERINGS.flatMap((field) => [field, `-${field}`]);

export class MediaFileListQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ description: 'words matched in title, description, original filename and tag names' })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(200)
  q?: string;

  @ApiPropertyOptional({ enum: FILE_TYPES, isArray: true, description: 'one or several (any of them)' })
  @IsOptional()
  @Transform(queryList)
  @IsArray()
  @IsIn(FILE_TYPES, { each: true })
  fileType?: FileType[];

  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'files with any of these tags' })
  @IsOptional()
  @Transform(queryList)
  @IsArray()
  @ArrayMaxSize(50)
  @IsUUID('all', { each: true })
  tagIds?: string[];

  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'files in any of these collections' })
  @IsOptional()
  @Transform(queryList)
  @IsArray()
  @ArrayMaxSize(50)
  @IsUUID('all', { each: true })
  collectionIds?: string[];

  @ApiPropertyOptional({ enum: ACCESS_LEVELS, isArray: true, description: 'one or several (any of them)' })
  @IsOptional()
  @Transform(queryList)
  @IsArray()
  @IsIn(ACCESS_LEVELS, { each: true })
  accessLevel?: AccessLevel[];

  @ApiPropertyOptional({ format: 'date-time', description: 'created at or after (inclusive)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  createdAfter?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'created strictly before' })
  @IsOptional()
  @IsISO8601({ strict: true })
  createdBefore?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'taken (EXIF `mediaInfo.takenAt`) at or after (inclusive); files without a capture time never match',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  takenAfter?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'taken (EXIF `mediaInfo.takenAt`) strictly before' })
  @IsOptional()
  @IsISO8601({ strict: true })
  takenBefore?: string;

  @ApiPropertyOptional({ minimum: 0, maximum: MAX_BIGINT_NUMBER, description: 'bytes, inclusive' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_BIGINT_NUMBER)
  minSize?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: MAX_BIGINT_NUMBER, description: 'bytes, inclusive' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_BIGINT_NUMBER)
  maxSize?: number;

  @ApiPropertyOptional({
    enum: ORDERING_VALUES,
    description: '`-` for descending; default `-createdAt`, or best matches first when `q` is given',
  })
  @IsOptional()
  @IsIn(ORDERING_VALUES)
  ordering?: string;
}

/**
 * PATCH /api/files/:id: the approval's metadata with every field optional; `tagIds` / `collectionIds` replace the
 * file's tags and collections.
 */
export class UpdateMediaFileDto extends PartialType(ApproveDto, { skipNullProperties: false }) {}

export class DownloadQueryDto {
  @ApiPropertyOptional({ default: false, description: '`Content-Disposition: inline` instead of attachment' })
  @IsOptional()
  @Transform(queryBoolean)
  @IsBoolean()
  inline?: boolean;
}

export class UsageDto {
  @ApiProperty({ maxLength: 100, example: 'blog.post' })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  contentType: string;

  @ApiProperty({ maxLength: 255, example: '42' })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  contentId: string;
}

/** `q` (substring of the name or title, case-insensitive) and pagination, for tags and collections. */
export class NamedListQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(100)
  q?: string;
}

export class SlugAvailabilityQueryDto {
  @ApiProperty({ maxLength: 255, description: 'the slug wanted (any text: the suggestion is made from it)' })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  slug: string;
}

export const BULK_ACTIONS = [
  'addTags',
  'removeTags',
  'setTags',
  'addToCollections',
  'removeFromCollections',
  'setAccessLevel',
  'trash',
  'restore',
] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

const TAG_ACTIONS: readonly BulkAction[] = ['addTags', 'removeTags', 'setTags'];
const COLLECTION_ACTIONS: readonly BulkAction[] = ['addToCollections', 'removeFromCollections'];

/** `POST /api/files/bulk`: one action on up to 100 files; the action says which of the other fields it needs. */
export class BulkFilesDto {
  @ApiProperty({ type: [String], format: 'uuid', minItems: 1, maxItems: 100 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true })
  ids: string[];

  @ApiProperty({ enum: BULK_ACTIONS })
  @IsIn(BULK_ACTIONS)
  action: BulkAction;

  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'for addTags, removeTags, setTags' })
  @ValidateIf((dto: BulkFilesDto) => TAG_ACTIONS.includes(dto.action) || dto.tagIds !== undefined)
  @IsArray()
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true })
  tagIds?: string[];

  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    description: 'for addToCollections, removeFromCollections',
  })
  @ValidateIf((dto: BulkFilesDto) => COLLECTION_ACTIONS.includes(dto.action) || dto.collectionIds !== undefined)
  @IsArray()
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true })
  collectionIds?: string[];

  @ApiPropertyOptional({ enum: ACCESS_LEVELS, description: 'for setAccessLevel' })
  @ValidateIf((dto: BulkFilesDto) => dto.action === 'setAccessLevel' || dto.accessLevel !== undefined)
  @IsIn(ACCESS_LEVELS)
  accessLevel?: AccessLevel;
}
