import { ApiProperty, ApiPropertyOptional, type ApiResponseSchemaHost } from '@nestjs/swagger';
import { ALL_JOBS, type MaintenanceJob } from './maintenance.jobs.js';
import type { JobOutcome } from './job-runs.repository.js';

const JOB_OUTCOMES = ['succeeded', 'failed', 'skipped'] as const satisfies readonly JobOutcome[];

export class JobRunResponse {
  @ApiProperty({ format: 'date-time' }) startedAt: string;
  @ApiProperty({ format: 'date-time' }) finishedAt: string;
  @ApiProperty({ type: 'integer' }) durationMs: number;
  @ApiProperty({ enum: JOB_OUTCOMES }) outcome: JobOutcome;
  @ApiProperty() instanceId: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'what the run did (per job)' })
  counts: Record<string, unknown>;

  @ApiPropertyOptional() error?: string;
}

export class JobOutcomesResponse {
  @ApiProperty({ type: 'integer' }) succeeded: number;
  @ApiProperty({ type: 'integer' }) failed: number;
  @ApiProperty({ type: 'integer' }) skipped: number;
}

export class JobOverviewResponse {
  @ApiProperty({ enum: ALL_JOBS }) job: MaintenanceJob;
  @ApiProperty({ description: 'as configured: `5m`, `0 3 * * *`, `off`' }) schedule: string;
  @ApiProperty({ description: 'whether this instance runs the job on its schedule' }) enabled: boolean;
  @ApiProperty({ type: JobRunResponse, nullable: true, description: 'the latest run that did the work' })
  lastRun: JobRunResponse | null;

  @ApiPropertyOptional({ format: 'date-time', description: "this instance's next attempt" }) nextRunAt?: string;
  @ApiProperty({ description: 'some instance holds the job lock now' }) running: boolean;
  @ApiProperty({ type: JobOutcomesResponse }) outcomes: JobOutcomesResponse;
}

export class JobsResponse {
  @ApiProperty({ type: JobOverviewResponse, isArray: true }) jobs: JobOverviewResponse[];
}

export class StorageReportResponse {
  @ApiProperty({ type: 'integer' }) objects: number;
  @ApiProperty({ type: 'integer' }) bytes: number;
  @ApiProperty({ type: 'integer' }) referencedObjects: number;
  @ApiProperty({ type: 'integer' }) orphanObjects: number;
  @ApiProperty({ type: 'integer' }) missingObjects: number;
}

/** `POST /api/admin/maintenance/generate-renditions`: the backfill's counts. */
export class GenerateRenditionsResultResponse {
  @ApiProperty({ enum: ['generate-renditions'] }) job: 'generate-renditions';
  @ApiProperty({ type: 'integer' }) durationMs: number;
  @ApiProperty({ type: 'integer', description: 'stored contents queued (no job at the current generator version)' })
  queued: number;

  @ApiProperty({ type: 'integer', description: 'jobs this run processed (the sum of the five below)' })
  processed: number;

  @ApiProperty({ type: 'integer', description: 'rendered (audio: metadata only)' }) ready: number;
  @ApiProperty({ type: 'integer', description: 'nothing to draw (archives, documents)' }) unsupported: number;
  @ApiProperty({ type: 'integer', description: 'failed for good (attempts used up), with a reason on the job' })
  failed: number;

  @ApiProperty({ type: 'integer', description: 'failed this time, retried later with backoff' }) retry: number;
  @ApiProperty({ type: 'integer', description: 'content freed (or job taken over) while rendering' })
  discarded: number;

  @ApiProperty({ type: 'integer', description: 'jobs still pending or running afterwards (backoff, other workers)' })
  remaining: number;
}

/** A job run's answer: the job, how long it took, and its own counts (which differ per job). */
export const JOB_RESULT_SCHEMA: ApiResponseSchemaHost['schema'] = {
  type: 'object',
  required: ['job', 'durationMs'],
  properties: {
    job: { type: 'string', enum: [...ALL_JOBS] },
    durationMs: { type: 'integer' },
  },
  additionalProperties: true,
};
