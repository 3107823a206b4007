import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { appConfig } from '../config/configuration.js';
import { MaintenanceJobs, type MaintenanceJob } from './maintenance.jobs.js';

/** How often each job runs on every instance; the job's advisory lock lets one instance at a time do it. */
export const JOB_INTERVALS_MS: Record<MaintenanceJob, number> = {
  'process-deletions': 60_000,
  'expire-pending': 5 * 60_000,
  'purge-trash': 60 * 60_000,
  'collect-garbage': 6 * 60 * 60_000,
  'verify-integrity': 7 * 24 * 60 * 60_000,
};

@Injectable()
export class MaintenanceScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MaintenanceScheduler.name);
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly jobs: MaintenanceJobs,
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.scheduledJobsEnabled) {
      this.logger.log('Scheduled jobs are disabled (SCHEDULED_JOBS_ENABLED=false)');
      return;
    }
    for (const [job, interval] of Object.entries(JOB_INTERVALS_MS) as Array<[MaintenanceJob, number]>) {
      const timer = setInterval(() => this.trigger(job), interval);
      timer.unref();
      this.timers.push(timer);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.timers.forEach((timer) => clearInterval(timer));
    await Promise.allSettled([...this.running]);
  }

  private trigger(job: MaintenanceJob): void {
    const run = this.jobs.runIfIdle(job).finally(() => this.running.delete(run));
    this.running.add(run);
  }
}
