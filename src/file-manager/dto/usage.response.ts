import { ApiProperty } from '@nestjs/swagger';

export class UsageResponse {
  @ApiProperty({ example: 'blog.post' }) contentType: string;
  @ApiProperty({ example: '42' }) contentId: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class UsageListResponse {
  @ApiProperty({ type: 'integer' }) count: number;
  @ApiProperty({ type: UsageResponse, isArray: true }) usages: UsageResponse[];
}
