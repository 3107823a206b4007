import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row per maintenance job run on any instance (`GET /api/admin/jobs`). Rows are written when a run ends;
 * a run in progress is seen through the job's advisory lock in `pg_locks`, not here. The table stays bounded:
 * after each insert only the newest runs of that job and outcome are kept.
 */
export class JobRuns1764201900000 implements MigrationInterface {
  name = 'JobRuns1764201900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE job_runs (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        job varchar(64) NOT NULL,
        instance_id varchar(200) NOT NULL,
        started_at timestamptz NOT NULL,
        finished_at timestamptz NOT NULL,
        duration_ms integer NOT NULL CHECK (duration_ms >= 0),
        outcome varchar(16) NOT NULL CHECK (outcome IN ('succeeded', 'failed', 'skipped')),
        counts jsonb NOT NULL DEFAULT '{}'::jsonb,
        error text
      )`);
    // Serves "latest run of each job" and the per-job trimming.
    await q.query(`CREATE INDEX job_runs_job_outcome_started_idx ON job_runs (job, outcome, started_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE job_runs`);
  }
}
