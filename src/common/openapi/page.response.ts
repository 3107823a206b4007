import type { Type } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import type { Page } from '../pagination.js';

/**
 * The contract's paginated list of `item`s as a class the OpenAPI document can see; extend it to name the schema:
 * `export class TagPageResponse extends PageResponse(TagResponse) {}`.
 */
export function PageResponse<T>(item: Type<T>): Type<Page<T>> {
  class PageOfItems implements Page<T> {
    @ApiProperty({ type: item, isArray: true }) results: T[];
    @ApiProperty({ type: 'integer', minimum: 0 }) count: number;
    @ApiProperty({ type: 'integer', minimum: 1 }) page: number;
    @ApiProperty({ type: 'integer', minimum: 1 }) pageSize: number;
    @ApiProperty({ type: 'integer', minimum: 0 }) totalPages: number;
    @ApiProperty() hasNext: boolean;
    @ApiProperty() hasPrevious: boolean;
  }
  return PageOfItems;
}
