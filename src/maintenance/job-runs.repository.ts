import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { DataSource } from 'typeorm';
import { jobsConfig } from '../config/configuration.js';
import type { AdvisoryLock } from '../database/locks.js';

export type JobOutcome = 'succeeded' | 'failed' | 'skipped';

export interface JobRunRecord {
  job: string;
  instanceId: string;
  startedAt: Date;
  finishedAt: Date;
  outcome: JobOutcome;
  counts: Record<string, unknown>;
  error?: string;
}

export interface JobRunView {
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  outcome: JobOutcome;
  instanceId: string;
  counts: Record<string, unknown>;
  error?: string;
}

interface JobRunRow {
  job: string;
  instanceId: string;
  startedAt: Date;
  finishedAt: Date;
  durationMs: number;
  outcome: JobOutcome;
  counts: Record<string, unknown>;
  error: string | null;
}

/**
 * The history of maintenance job runs, shared by every instance through the `job_runs` table, and who is running
 * a job right now (the holder of its advisory lock, seen in `pg_locks`).
 */
@Injectable()
export class JobRunsRepository {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(jobsConfig.KEY) private readonly config: ConfigType<typeof jobsConfig>,
  ) {}

  /** Records one finished run and trims that job's history to the newest runs of each outcome. */
  async record(run: JobRunRecord): Promise<void> {
    const durationMs = Math.max(0, run.finishedAt.getTime() - run.startedAt.getTime());
    await this.dataSource.query(
      `INSERT INTO job_runs (job, instance_id, started_at, finished_at, duration_ms, outcome, counts, error)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)`,
      [
        run.job,
        run.instanceId,
        run.startedAt,
        run.finishedAt,
        durationMs,
        run.outcome,
        JSON.stringify(run.counts),
        run.error ?? null,
      ],
    );
    // Trimmed per outcome, so frequent skips (every other instance, every tick) never push the last real run out.
    await this.dataSource.query(
      `DELETE FROM job_runs
        WHERE job = $1 AND outcome = $2
          AND id < (SELECT min(id) FROM (SELECT id FROM job_runs WHERE job = $1 AND outcome = $2
                                          ORDER BY id DESC LIMIT $3) AS kept)`,
      [run.job, run.outcome, this.config.runsKept],
    );
  }

  /** Per job: its latest run that did something (succeeded or failed), and how many runs of each outcome are kept. */
  async summaries(): Promise<Map<string, { lastRun: JobRunView | null; outcomes: Record<JobOutcome, number> }>> {
    const latest = await this.dataSource.query<JobRunRow[]>(
      `SELECT DISTINCT ON (job) job, instance_id AS "instanceId", started_at AS "startedAt",
              finished_at AS "finishedAt", duration_ms AS "durationMs", outcome, counts, error
         FROM job_runs WHERE outcome <> 'skipped'
        ORDER BY job, id DESC`,
    );
    const counted = await this.dataSource.query<Array<{ job: string; outcome: JobOutcome; n: number }>>(
      `SELECT job, outcome, count(*)::int AS n FROM job_runs GROUP BY job, outcome`,
    );

    const summaries = new Map<string, { lastRun: JobRunView | null; outcomes: Record<JobOutcome, number> }>();
    const entry = (job: string) => {
      let summary = summaries.get(job);
      if (!summary)
        summaries.set(job, (summary = { lastRun: null, outcomes: { succeeded: 0, failed: 0, skipped: 0 } }));
      return summary;
    };
    for (const row of latest) entry(row.job).lastRun = toView(row);
    for (const row of counted) entry(row.job).outcomes[row.outcome] = row.n;
    return summaries;
  }

  /** The advisory locks (of `locks`) that some session of this database holds right now, on any instance. */
  async heldLocks(locks: AdvisoryLock[]): Promise<Set<AdvisoryLock>> {
    // A single bigint key k shows up as classid = k >> 32, objid = k & 0xffffffff, objsubid = 1.
    const rows = await this.dataSource.query<Array<{ key: string }>>(
      `SELECT DISTINCT (classid::bigint << 32) | objid::bigint AS key
         FROM pg_locks
        WHERE locktype = 'advisory' AND objsubid = 1 AND granted
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND ((classid::bigint << 32) | objid::bigint) = ANY($1::bigint[])`,
      [locks],
    );
    return new Set(rows.map((row) => Number(row.key) as AdvisoryLock));
  }
}

function toView(row: JobRunRow): JobRunView {
  return {
    startedAt: row.startedAt.toISOString(),
    finishedAt: row.finishedAt.toISOString(),
    durationMs: row.durationMs,
    outcome: row.outcome,
    instanceId: row.instanceId,
    counts: row.counts,
    ...(row.error ? { error: row.error } : {}),
  };
}
