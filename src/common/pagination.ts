import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class PaginationQueryDto {
  @ApiPropertyOptional({ minimum: 1, default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
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
