import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { CronJob } from 'cron';
import { appConfig, jobsConfig } from '../config/configuration.js';
import { parseJobSchedule, type JobSchedule } from './job-schedule.js';
import { ALL_JOBS, MaintenanceJobs, type MaintenanceJob } from './maintenance.jobs.js';

export interface ScheduledJobInfo {
  job: MaintenanceJob;
  /** The schedule as configured (`5m`, `0 3 * * *`, `off`). */
  schedule: string;
  /** Whether this instance runs the job on its schedule (false when `off` or SCHEDULED_JOBS_ENABLED=false). */
  enabled: boolean;
  /** When this instance will next try to run the job (it runs only if no other instance holds the job's lock). */
  nextRunAt: Date | null;
}

/**
 * Runs each maintenance job on its configured schedule (`JOB_SCHEDULE_<JOB>`, see job-schedule.ts) on every
 * instance; the job's advisory lock lets one instance at a time do it, the others record a skip.
 */
@Injectable()
export class MaintenanceScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MaintenanceScheduler.name);
  private readonly schedules: Record<MaintenanceJob, JobSchedule>;
  private readonly stops: Array<() => void> = [];
  private readonly nextRuns = new Map<MaintenanceJob, () => Date | null>();
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly jobs: MaintenanceJobs,
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    @Inject(jobsConfig.KEY) settings: ConfigType<typeof jobsConfig>,
  ) {
    this.schedules = Object.fromEntries(
      ALL_JOBS.map((job) => [job, parseJobSchedule(settings.schedules[job])]),
    ) as Record<MaintenanceJob, JobSchedule>;
  }

  onApplicationBootstrap(): void {
    if (!this.config.scheduledJobsEnabled) {
      this.logger.log('Scheduled jobs are disabled (SCHEDULED_JOBS_ENABLED=false)');
      return;
    }
    for (const job of ALL_JOBS) {
      const schedule = this.schedules[job];
      if (schedule.kind === 'interval') {
        let next = Date.now() + schedule.intervalMs;
        const timer = setInterval(() => {
          next = Date.now() + schedule.intervalMs;
          this.trigger(job);
        }, schedule.intervalMs);
        timer.unref();
        this.stops.push(() => clearInterval(timer));
        this.nextRuns.set(job, () => new Date(next));
      } else if (schedule.kind === 'cron') {
        const cron = CronJob.from({
          cronTime: schedule.expression,
          onTick: () => this.trigger(job),
          start: true,
          unrefTimeout: true,
        });
        this.stops.push(() => void cron.stop());
        this.nextRuns.set(job, () => cron.nextDate().toJSDate());
      }
    }
  }

  /** Each job's schedule as this instance sees it. */
  describe(): ScheduledJobInfo[] {
    return ALL_JOBS.map((job) => ({
      job,
      schedule: this.schedules[job].text,
      enabled: this.config.scheduledJobsEnabled && this.schedules[job].kind !== 'off',
      nextRunAt: this.nextRuns.get(job)?.() ?? null,
    }));
  }

  async onApplicationShutdown(): Promise<void> {
    this.stops.forEach((stop) => stop());
    await Promise.allSettled([...this.running]);
  }

  private trigger(job: MaintenanceJob): void {
    const run = this.jobs.runIfIdle(job).finally(() => this.running.delete(run));
    this.running.add(run);
  }
}
