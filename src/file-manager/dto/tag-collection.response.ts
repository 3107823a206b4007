import { ApiProperty } from '@nestjs/swagger';
import { PageResponse } from '../../common/openapi/page.response.js';
import { ACCESS_LEVELS, type AccessLevel } from '../entities/columns.js';
import { TagRefResponse } from './media-file.response.js';

export class TagResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty() slug: string;
  @ApiProperty({ type: 'string', nullable: true, example: '#ff8800' }) color: string | null;
  @ApiProperty() description: string;
}

export class TagPageResponse extends PageResponse(TagResponse) {}

export class CollectionResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() title: string;
  @ApiProperty() slug: string;
  @ApiProperty() description: string;
  @ApiProperty({ enum: ACCESS_LEVELS, enumName: 'AccessLevel' }) accessLevel: AccessLevel;
  @ApiProperty({ type: TagRefResponse, isArray: true }) tags: TagRefResponse[];
  @ApiProperty({ type: 'integer', description: 'active files in the collection that the caller may see' })
  fileCount: number;

  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class CollectionPageResponse extends PageResponse(CollectionResponse) {}
