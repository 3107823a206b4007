import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export const RENDITION_VIEW_STATUSES = ['pending', 'ready', 'failed', 'unsupported'] as const;
export type RenditionViewStatus = (typeof RENDITION_VIEW_STATUSES)[number];

/** One rendition (thumbnail or preview) as a view describes it; its bytes are behind `urls.thumbnail/preview`. */
export class RenditionResponse {
  @ApiProperty({ type: 'integer', minimum: 1 }) width: number;
  @ApiProperty({ type: 'integer', minimum: 1 }) height: number;
  @ApiProperty({ example: 'image/webp' }) contentType: string;
  @ApiProperty({ type: 'integer', description: 'bytes' }) size: number;
}

/** `renditions` of a file view (docs/renditions.md, "Views and HTTP"). */
export class RenditionsResponse {
  @ApiProperty({
    enum: RENDITION_VIEW_STATUSES,
    enumName: 'RenditionStatus',
    description:
      '`pending`: not rendered yet (queued, rendering, or not queued yet); `ready`: rendered (an audio file is ready ' +
      'without thumbnail or preview); `failed`: rendering failed for good; `unsupported`: nothing to draw',
  })
  status: RenditionViewStatus;

  @ApiPropertyOptional({ type: RenditionResponse, description: 'fits 320×320, WebP' }) thumbnail?: RenditionResponse;
  @ApiPropertyOptional({ type: RenditionResponse, description: 'fits 1600×1600, WebP' }) preview?: RenditionResponse;
  @ApiPropertyOptional({ description: 'why rendering failed (admins only)' }) failureReason?: string;
}

export class CameraResponse {
  @ApiPropertyOptional() make?: string;
  @ApiPropertyOptional() model?: string;
}

export class ExposureResponse {
  @ApiPropertyOptional({ description: 'seconds' }) exposureTime?: number;
  @ApiPropertyOptional() fNumber?: number;
  @ApiPropertyOptional() iso?: number;
  @ApiPropertyOptional({ description: 'millimetres' }) focalLength?: number;
}

export class GpsResponse {
  @ApiProperty({ description: 'degrees, negative south' }) latitude: number;
  @ApiProperty({ description: 'degrees, negative west' }) longitude: number;
  @ApiPropertyOptional({ description: 'metres' }) altitude?: number;
}

/** `mediaInfo`: what was extracted from the content; every field only when found. */
export class MediaInfoResponse {
  @ApiPropertyOptional({ type: 'integer', description: 'displayed width (EXIF orientation applied)' }) width?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'displayed height' }) height?: number;
  @ApiPropertyOptional() durationSeconds?: number;
  @ApiPropertyOptional({ type: 'integer' }) pageCount?: number;
  @ApiPropertyOptional({ example: 'h264' }) videoCodec?: string;
  @ApiPropertyOptional({ example: 'aac' }) audioCodec?: string;
  @ApiPropertyOptional({
    description:
      'when the picture was taken (EXIF), in UTC; the camera offset applied when it recorded one, a clock without ' +
      'zone read as UTC',
    example: '2024-05-06T05:08:09.000Z',
  })
  takenAt?: string;

  @ApiPropertyOptional({ type: CameraResponse }) camera?: CameraResponse;
  @ApiPropertyOptional() lens?: string;
  @ApiPropertyOptional({ type: ExposureResponse }) exposure?: ExposureResponse;
  @ApiPropertyOptional({ type: GpsResponse, description: 'only for the uploader and admins' }) gps?: GpsResponse;
}
