import { Injectable } from '@nestjs/common';
import { JobRunsRepository, type JobOutcome, type JobRunView } from './job-runs.repository.js';
import { JOB_LOCKS, type MaintenanceJob } from './maintenance.jobs.js';
import { MaintenanceScheduler } from './maintenance.scheduler.js';

export interface JobOverview {
  job: MaintenanceJob;
  schedule: string;
  enabled: boolean;
  /** The latest run that did the work (succeeded or failed), on any instance. */
  lastRun: JobRunView | null;
  /** This instance's next attempt; absent when it does not schedule the job. */
  nextRunAt?: string;
  /** Someone (any instance, the CLI) holds the job's lock right now. */
  running: boolean;
  /** How many of the kept runs ended each way. */
  outcomes: Record<JobOutcome, number>;
}

@Injectable()
export class JobsOverviewService {
  constructor(
    private readonly scheduler: MaintenanceScheduler,
    private readonly runs: JobRunsRepository,
  ) {}

  async list(): Promise<JobOverview[]> {
    const schedules = this.scheduler.describe();
    const [summaries, held] = await Promise.all([
      this.runs.summaries(),
      this.runs.heldLocks(schedules.map(({ job }) => JOB_LOCKS[job])),
    ]);
    return schedules.map(({ job, schedule, enabled, nextRunAt }) => {
      const summary = summaries.get(job);
      return {
        job,
        schedule,
        enabled,
        lastRun: summary?.lastRun ?? null,
        ...(nextRunAt ? { nextRunAt: nextRunAt.toISOString() } : {}),
        running: held.has(JOB_LOCKS[job]),
        outcomes: summary?.outcomes ?? { succeeded: 0, failed: 0, skipped: 0 },
      };
    });
  }
}
