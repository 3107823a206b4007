import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { UserRefResponse } from '../../auth/dto/user.response.js';
import { PageResponse } from '../../common/openapi/page.response.js';
import { MediaInfoResponse, RenditionsResponse } from './renditions.response.js';
import { ACCESS_LEVELS, FILE_TYPES, type AccessLevel, type FileType } from '../entities/columns.js';

export class TagRefResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty() slug: string;
}

export class CollectionRefResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() title: string;
  @ApiProperty() slug: string;
}

/** Signed, expiring URLs of a file view, usable without an Authorization header (docs/media-urls.md). */
export class MediaUrlsResponse {
  @ApiProperty({
    description:
      'the bytes, for <img>, <video>, <a download>: `/api/media/…`, relative to the API origin; the same URL within ' +
      'a window (MEDIA_URL_WINDOW_SECONDS), valid until the end of the next one',
    example: '/api/media/files/<id>/<hash>/<scope>/<expires>/<signature>',
  })
  content: string;

  @ApiPropertyOptional({
    description: 'the thumbnail (WebP, fits 320×320), when the content has one (see `renditions`)',
    example: '/api/media/files/<id>/<hash>/thumbnail/<scope>/<expires>/<signature>',
  })
  thumbnail?: string;

  @ApiPropertyOptional({
    description: 'the preview (WebP, fits 1600×1600), when the content has one (see `renditions`)',
    example: '/api/media/files/<id>/<hash>/preview/<scope>/<expires>/<signature>',
  })
  preview?: string;
}

/** `mediaFile` of the contract. */
export class MediaFileResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() title: string;
  @ApiProperty() slug: string;
  @ApiProperty() description: string;
  @ApiProperty() originalFilename: string;
  @ApiProperty({ type: 'integer', description: 'bytes' }) fileSize: number;
  @ApiProperty() contentType: string;
  @ApiProperty({ enum: FILE_TYPES, enumName: 'FileType' }) fileType: FileType;
  @ApiProperty({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256 of the content, lowercase hex' }) hash: string;
  @ApiPropertyOptional({ type: 'integer' }) width?: number;
  @ApiPropertyOptional({ type: 'integer' }) height?: number;
  @ApiProperty({ enum: ACCESS_LEVELS, enumName: 'AccessLevel' }) accessLevel: AccessLevel;
  @ApiProperty({ type: TagRefResponse, isArray: true }) tags: TagRefResponse[];
  @ApiProperty({ type: CollectionRefResponse, isArray: true }) collections: CollectionRefResponse[];
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'free-form JSON object (at most 16 KiB serialized); `{}` when none was given',
  })
  metadata: Record<string, unknown>;

  @ApiProperty({ type: 'integer', minimum: 1, description: '1, plus one per replacement of the content' })
  version: number;

  @ApiProperty({ type: 'integer' }) downloadCount: number;
  @ApiPropertyOptional({ format: 'date-time' }) lastAccessedAt?: string;
  @ApiProperty({ type: UserRefResponse, description: '`email` only for admins and the creator themself' })
  createdBy: UserRefResponse;

  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'set while the file is in the trash' }) deletedAt?: string;
  @ApiProperty({ type: MediaUrlsResponse }) urls: MediaUrlsResponse;
  @ApiProperty({ type: RenditionsResponse }) renditions: RenditionsResponse;
  @ApiPropertyOptional({ description: 'thumbhash of the thumbnail, base64 (blur-up), once ready' })
  placeholder?: string;
  @ApiPropertyOptional({ type: MediaInfoResponse, description: 'extracted from the content, once rendered' })
  mediaInfo?: MediaInfoResponse;
}

export class MediaFilePageResponse extends PageResponse(MediaFileResponse) {}

export class EmptyTrashResponse {
  @ApiProperty({ type: 'integer', description: 'files purged' }) purged: number;
}
