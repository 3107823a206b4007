import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class HealthCheckResponse {
  @ApiProperty({ enum: ['up', 'down'] }) status: 'up' | 'down';
  @ApiPropertyOptional({ description: 'generic reason when down (no host, bucket or SQL)' }) error?: string;
}

export class HealthChecksResponse {
  @ApiProperty({ type: HealthCheckResponse }) database: HealthCheckResponse;
  @ApiProperty({ type: HealthCheckResponse }) storage: HealthCheckResponse;
}

export class HealthResponse {
  @ApiProperty({ enum: ['ok', 'error'] }) status: 'ok' | 'error';
  @ApiProperty({ type: HealthChecksResponse }) checks: HealthChecksResponse;
}
