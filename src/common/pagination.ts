import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export const MAX_PAGE = 10_000_000;

export class PaginationQueryDto {
  /** Bounded so the offset stays an exact integer in JavaScript and in PostgreSQL's bigint. */
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE, default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE)
  page: number = 1;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  pageSize: number = 20;
}

export interface Page<T> {
  results: T[];
  count: number;
  page: number;
  pageSize: number;
  totalPages: number;
  hasNext: boolean;
  hasPrevious: boolean;
}

export function toPage<T>(results: T[], count: number, { page, pageSize }: PaginationQueryDto): Page<T> {
  const totalPages = Math.ceil(count / pageSize);
  return { results, count, page, pageSize, totalPages, hasNext: page < totalPages, hasPrevious: page > 1 };
}

export function offsetOf({ page, pageSize }: PaginationQueryDto): number {
  return (page - 1) * pageSize;
}
