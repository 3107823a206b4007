import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { DataSource } from 'typeorm';
import { uploadConfig } from '../config/configuration.js';
import { AdvisoryLock } from '../database/locks.js';
import { tryWithAdvisoryLock } from '../database/transactions.js';
import { ContentMaintenanceService } from '../file-manager/services/content-maintenance.service.js';
import { StorageDeletionQueue } from '../file-manager/services/storage-deletion-queue.service.js';
import { TrashService } from '../file-manager/services/trash.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { DomainException } from '../common/errors/domain.exception.js';

export const MAINTENANCE_JOBS = ['expire-pending', 'purge-trash', 'collect-garbage', 'verify-integrity'] as const;
export type MaintenanceJob = (typeof MAINTENANCE_JOBS)[number] | 'process-deletions';

const JOB_LOCKS: Record<MaintenanceJob, AdvisoryLock> = {
  'expire-pending': AdvisoryLock.JobExpirePending,
  'purge-trash': AdvisoryLock.JobPurgeTrash,
  'collect-garbage': AdvisoryLock.JobCollectGarbage,
  'verify-integrity': AdvisoryLock.JobVerifyIntegrity,
  'process-deletions': AdvisoryLock.JobProcessDeletions,
};

export class JobAlreadyRunningException extends DomainException {
  constructor(job: string) {
    super('CONFLICT', `The ${job} job is already running (here or on another instance)`, { job });
  }
}

/**
 * Runs maintenance jobs, each under its own advisory lock so that one instance at a time runs a given job
 * (the scheduler on every instance and the admin endpoint alike).
 */
@Injectable()
export class MaintenanceJobs {
  private readonly logger = new Logger(MaintenanceJobs.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly content: ContentMaintenanceService,
    private readonly trash: TrashService,
    private readonly deletions: StorageDeletionQueue,
    @Inject(uploadConfig.KEY) private readonly config: ConfigType<typeof uploadConfig>,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  /** Runs `job` now; `JobAlreadyRunningException` (409) when another run holds its lock. */
  async run(job: MaintenanceJob): Promise<{ job: MaintenanceJob } & Record<string, unknown>> {
    const started = Date.now();
    const outcome = await tryWithAdvisoryLock(this.dataSource, JOB_LOCKS[job], () => this.execute(job));
    if (!outcome.ran) throw new JobAlreadyRunningException(job);
    const result = { job, ...outcome.result, durationMs: Date.now() - started };
    this.metrics?.jobDuration.observe({ job }, result.durationMs / 1000);
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

  private async execute(job: MaintenanceJob): Promise<Record<string, unknown>> {
    switch (job) {
      case 'expire-pending':
        return { ...(await this.content.expirePending()) };
      case 'purge-trash':
        return { purged: await this.trash.purgeOlderThan(this.config.trashRetentionDays) };
      case 'collect-garbage':
        return { ...(await this.content.collectGarbage()) };
      case 'verify-integrity':
        return { ...(await this.content.verifyIntegrity()) };
      case 'process-deletions':
        return { ...(await this.deletions.processDue()) };
    }
  }
}
