import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class EmptyTrashQueryDto {
  @ApiPropertyOptional({ minimum: 0, default: 0, description: 'only files trashed at least this many days ago' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(36500)
  olderThanDays: number = 0;
}
