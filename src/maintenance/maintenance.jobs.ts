import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { DataSource } from 'typeorm';
import { uploadConfig } from '../config/configuration.js';
import { AdvisoryLock } from '../database/locks.js';
import { tryWithAdvisoryLock } from '../database/transactions.js';
import {
  ContentMaintenanceService,
  type VerifyProgressListener,
} from '../file-manager/services/content-maintenance.service.js';
import { StorageDeletionQueue } from '../file-manager/services/storage-deletion-queue.service.js';
import { SearchIndexService } from '../file-manager/services/search-index.service.js';
import { TrashService } from '../file-manager/services/trash.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RenditionsService } from '../renditions/renditions.service.js';
import { DomainException } from '../common/errors/domain.exception.js';
import { JobRunsRepository } from './job-runs.repository.js';

export const MAINTENANCE_JOBS = [
  'expire-pending',
  'purge-trash',
  'collect-garbage',
  'verify-integrity',
  'generate-renditions',
] as const;
export type MaintenanceJob = (typeof MAINTENANCE_JOBS)[number] | 'process-deletions' | 'fold-search-counts';
/**
 * Every job, including those only the scheduler runs: the deletion outbox drain (GC drains it too) and the fold of
 * search counter changes into the counters.
 */
export const ALL_JOBS: readonly MaintenanceJob[] = ['process-deletions', 'fold-search-counts', ...MAINTENANCE_JOBS];

export const JOB_LOCKS: Record<MaintenanceJob, AdvisoryLock> = {
  'expire-pending': AdvisoryLock.JobExpirePending,
  'purge-trash': AdvisoryLock.JobPurgeTrash,
  'collect-garbage': AdvisoryLock.JobCollectGarbage,
  'verify-integrity': AdvisoryLock.JobVerifyIntegrity,
  'process-deletions': AdvisoryLock.JobProcessDeletions,
  'fold-search-counts': AdvisoryLock.JobFoldSearchCounts,
  'generate-renditions': AdvisoryLock.JobGenerateRenditions,
};

export class JobAlreadyRunningException extends DomainException {
  constructor(job: string) {
    super('CONFLICT', `The ${job} job is already running (here or on another instance)`, { job });
  }
}

export interface RunOptions {
  /** Only `verify-integrity` reports progress (the CLI draws a bar with it). */
  onVerifyProgress?: VerifyProgressListener;
}

export type JobResult = { job: MaintenanceJob; durationMs: number } & Record<string, unknown>;

/**
 * Runs maintenance jobs, each under its own advisory lock so that one instance at a time runs a given job
 * (the scheduler on every instance, the admin endpoint and the CLI alike). Every attempt is recorded in
 * `job_runs`: succeeded or failed with its counts, or skipped when another session held the lock.
 */
@Injectable()
export class MaintenanceJobs {
  private readonly logger = new Logger(MaintenanceJobs.name);
  /** Names this process in `job_runs`: host, pid and a random suffix (pids repeat across restarts). */
  readonly instanceId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

  constructor(
    private readonly dataSource: DataSource,
    private readonly content: ContentMaintenanceService,
    private readonly trash: TrashService,
    private readonly deletions: StorageDeletionQueue,
    private readonly searchIndex: SearchIndexService,
    private readonly runs: JobRunsRepository,
    private readonly renditions: RenditionsService,
    @Inject(uploadConfig.KEY) private readonly config: ConfigType<typeof uploadConfig>,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  /** Runs `job` now; `JobAlreadyRunningException` (409) when another run holds its lock. */
  async run(job: MaintenanceJob, options: RunOptions = {}): Promise<JobResult> {
    const startedAt = new Date();
    let outcome: Awaited<ReturnType<typeof tryWithAdvisoryLock<Record<string, unknown>>>>;
    try {
      outcome = await tryWithAdvisoryLock(this.dataSource, JOB_LOCKS[job], () => this.execute(job, options));
    } catch (error) {
      this.logger.error(
        `Job ${job} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      await this.record(job, startedAt, 'failed', {}, describeFailure(error, this.instanceId));
      throw error;
    }
    if (!outcome.ran) {
      await this.record(job, startedAt, 'skipped', {});
      throw new JobAlreadyRunningException(job);
    }
    const finishedAt = new Date();
    this.metrics?.jobDuration.observe({ job }, (finishedAt.getTime() - startedAt.getTime()) / 1000);
    await this.record(job, startedAt, 'succeeded', outcome.result, undefined, finishedAt);
    const result = { job, ...outcome.result, durationMs: finishedAt.getTime() - startedAt.getTime() };
    this.logger.log(`Job ${job} done: ${JSON.stringify(result)}`);
    return result;
  }

  /** For the scheduler: skips quietly when another instance is running the job. */
  async runIfIdle(job: MaintenanceJob): Promise<void> {
    try {
      await this.run(job);
    } catch (error) {
      if (error instanceof JobAlreadyRunningException) return;
      this.logger.warn(`Scheduled job ${job} failed: ${String(error)}`);
    }
  }

  /** Recording is bookkeeping: a failure to write the history must not turn a job's outcome into another. */
  private async record(
    job: MaintenanceJob,
    startedAt: Date,
    outcome: 'succeeded' | 'failed' | 'skipped',
    counts: Record<string, unknown>,
    error?: string,
    finishedAt = new Date(),
  ): Promise<void> {
    try {
      await this.runs.record({ job, instanceId: this.instanceId, startedAt, finishedAt, outcome, counts, error });
    } catch (recordError) {
      this.logger.warn(`Could not record the ${outcome} run of ${job}: ${String(recordError)}`);
    }
  }

  private async execute(job: MaintenanceJob, options: RunOptions): Promise<Record<string, unknown>> {
    switch (job) {
      case 'expire-pending':
        return { ...(await this.content.expirePending()) };
      case 'purge-trash':
        return { purged: await this.trash.purgeOlderThan(this.config.trashRetentionDays) };
      case 'collect-garbage':
        return { ...(await this.content.collectGarbage()) };
      case 'verify-integrity':
        return { ...(await this.content.verifyIntegrity(options.onVerifyProgress)) };
      case 'process-deletions':
        return { ...(await this.deletions.processDue()) };
      case 'fold-search-counts':
        return { folded: await this.searchIndex.foldCounts() };
      case 'generate-renditions':
        return { ...(await this.renditions.generateMissing()) };
    }
  }
}

/**
 * What `job_runs.error` (shown to admins by GET /api/admin/jobs) says about a failure: a domain error's own
 * message, otherwise only its kind — driver and storage messages can carry SQL, bucket names or keys, which the
 * contract never shows; the full error is in the logs of the instance named.
 */
function describeFailure(error: unknown, instanceId: string): string {
  if (error instanceof DomainException) return `${error.code}: ${error.message}`;
  const kind = error instanceof Error ? error.name : typeof error;
  return `${kind}: see the logs of instance ${instanceId}`;
}
