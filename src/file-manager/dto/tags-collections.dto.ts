import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
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
  ValidateIf,
} from 'class-validator';
import { ACCESS_LEVELS, type AccessLevel } from '../entities/columns.js';
import { trim } from './library.dto.js';
import { HasVisibleCharacter } from '../../common/visible-text.js';
import { IsOmittable } from '../../common/validation.js';

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const SLUG_MESSAGE = 'slug must be lowercase a-z, 0-9 and single dashes';

export class CreateTagDto {
  @ApiProperty({ maxLength: 100, description: 'unique, case-insensitively' })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @HasVisibleCharacter()
  name: string;

  @ApiPropertyOptional({ pattern: SLUG.source, description: 'generated from the name when not given' })
  @IsOmittable()
  @IsString()
  @MaxLength(110)
  @Matches(SLUG, { message: SLUG_MESSAGE })
  slug?: string;

  @ApiPropertyOptional({ example: '#ff8800', nullable: true })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @Matches(/^#[0-9a-fA-F]{6}$/, { message: 'color must be #rrggbb' })
  color?: string | null;

  @ApiPropertyOptional()
  @IsOmittable()
  @IsString()
  @MaxLength(2000)
  description?: string;
}

export class UpdateTagDto extends PartialType(CreateTagDto, { skipNullProperties: false }) {}

export class CreateCollectionDto {
  @ApiProperty({ maxLength: 255 })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  @HasVisibleCharacter()
  title: string;

  @ApiPropertyOptional({ pattern: SLUG.source, description: 'generated from the title when not given' })
  @IsOmittable()
  @IsString()
  @MaxLength(200)
  @Matches(SLUG, { message: SLUG_MESSAGE })
  slug?: string;

  @ApiPropertyOptional()
  @IsOmittable()
  @IsString()
  @MaxLength(10_000)
  description?: string;

  @ApiPropertyOptional({ enum: ACCESS_LEVELS, default: 'members' })
  @IsOmittable()
  @IsIn(ACCESS_LEVELS)
  accessLevel?: AccessLevel;

  @ApiPropertyOptional({ type: [String], format: 'uuid' })
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true })
  tagIds?: string[];
}

export class UpdateCollectionDto extends PartialType(CreateCollectionDto, { skipNullProperties: false }) {}

export class CollectionFilesDto {
  @ApiProperty({ type: [String], format: 'uuid', minItems: 1, maxItems: 100 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true })
  fileIds: string[];
}

export class MergeTagDto {
  @ApiProperty({ format: 'uuid', description: 'the tag that stays; the merged one is deleted' })
  @IsUUID()
  intoTagId: string;
}
