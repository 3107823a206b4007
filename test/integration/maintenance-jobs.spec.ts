/**
 * Maintenance jobs across instances: one run at a time per job (its advisory lock), every attempt recorded in
 * job_runs, GET /api/admin/jobs answering from any instance, schedules taken from JOB_SCHEDULE_<JOB>.
 */
import { describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { AdvisoryLock } from '../../src/database/locks.js';
import { parseJobSchedule } from '../../src/maintenance/job-schedule.js';
import { validateEnvironment } from '../../src/config/environment.js';
import { createTestApp, useTestApp, type TestApp } from '../support/app.js';
import { testBucketName, useTestDatabase } from '../support/database.js';
import { content, upload } from '../support/files.js';

interface JobOverview {
  job: string;
  schedule: string;
  enabled: boolean;
  lastRun: {
    startedAt: string;
    finishedAt: string;
    durationMs: number;
    outcome: string;
    instanceId: string;
    counts: Record<string, unknown>;
    error?: string;
  } | null;
  nextRunAt?: string;
  running: boolean;
  outcomes: { succeeded: number; failed: number; skipped: number };
}

async function jobsOf(t: TestApp): Promise<Map<string, JobOverview>> {
  const response = await t.http.get('/api/admin/jobs').set('Authorization', await t.adminAuth());
  expect(response.status).toBe(200);
  return new Map((response.body.jobs as JobOverview[]).map((job) => [job.job, job]));
}

/** Holds `lock` from a separate session (as a run on another instance would) until released. */
async function holdLock(databaseUrl: string, lock: AdvisoryLock): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('SELECT pg_advisory_lock($1)', [lock]);
  return {
    release: async () => {
      await client.query('SELECT pg_advisory_unlock($1)', [lock]);
      await client.end();
    },
  };
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('job schedules', () => {
  it('accepts off, intervals and cron expressions, and names the variable of a bad one', () => {
    expect(parseJobSchedule('5m')).toMatchObject({ kind: 'interval', intervalMs: 300_000 });
    expect(parseJobSchedule('90s')).toMatchObject({ kind: 'interval', intervalMs: 90_000 });
    expect(parseJobSchedule('off')).toMatchObject({ kind: 'off' });
    expect(parseJobSchedule('0 3 * * *')).toMatchObject({ kind: 'cron' });
    expect(() => parseJobSchedule('every day')).toThrow();
    expect(() => parseJobSchedule('0s')).toThrow();
    expect(() => validateEnvironment({ JOB_SCHEDULE_PURGE_TRASH: 'sometimes' })).toThrow(/JOB_SCHEDULE_PURGE_TRASH/);
    expect(validateEnvironment({ JOB_SCHEDULE_PURGE_TRASH: '*/5 * * * *' }).JOB_SCHEDULE_PURGE_TRASH).toBe(
      '*/5 * * * *',
    );
  });
});

describe('maintenance jobs on two instances', () => {
  const database = useTestDatabase();
  const bucket = testBucketName();
  const a = useTestApp({ database, bucket, env: { JOB_SCHEDULE_VERIFY_INTEGRITY: '0 4 * * 0' } });
  const b = useTestApp({ database, bucket });

  it('lists every job with its schedule and no run yet', async () => {
    const jobs = await jobsOf(a);
    expect([...jobs.keys()].sort()).toEqual(
      [
        'collect-garbage',
        'expire-pending',
        'fold-search-counts',
        'generate-renditions',
        'process-deletions',
        'purge-trash',
        'verify-integrity',
      ].sort(),
    );
    expect(jobs.get('verify-integrity')).toMatchObject({ schedule: '0 4 * * 0', lastRun: null, running: false });
    expect(jobs.get('generate-renditions')).toMatchObject({ schedule: 'off', enabled: false }); // opt-in backfill
    // The test apps run with SCHEDULED_JOBS_ENABLED=false: nothing scheduled here, so no next run either.
    expect(jobs.get('expire-pending')).toMatchObject({ schedule: '5m', enabled: false });
    expect(jobs.get('expire-pending')?.nextRunAt).toBeUndefined();
  });

  it('is admin only', async () => {
    const member = await a.createUser('member');
    expect((await a.http.get('/api/admin/jobs').set('Authorization', member.auth)).status).toBe(403);
    expect((await a.http.get('/api/admin/jobs')).status).toBe(401);
  });

  it('runs a job on one instance and shows its last run and counts on the other', async () => {
    const auth = await a.adminAuth();
    const first = await upload(a, auth, content());
    // Make the pending file due so expire-pending has something to count.
    await a
      .get(DataSource)
      .query(`UPDATE pending_files SET expires_at = now() - interval '1 minute' WHERE id = $1`, [
        first.pendingFile!.id,
      ]);

    const response = await a.http.post('/api/admin/maintenance/expire-pending').set('Authorization', auth);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ job: 'expire-pending', expired: 1 });

    const jobs = await jobsOf(b);
    const expire = jobs.get('expire-pending')!;
    expect(expire.lastRun).toMatchObject({ outcome: 'succeeded', counts: { expired: 1 } });
    // The duration is the recorded run's own: finished minus started (a clamp to 0 would hide swapped times).
    const { startedAt, finishedAt, durationMs } = expire.lastRun!;
    expect(Date.parse(finishedAt)).toBeGreaterThanOrEqual(Date.parse(startedAt));
    expect(durationMs).toBe(Date.parse(finishedAt) - Date.parse(startedAt));
    expect(expire.outcomes).toEqual({ succeeded: 1, failed: 0, skipped: 0 });
    expect(expire.running).toBe(false);
  });

  it('lets one session at a time run a job: the other instance is refused (409) and records a skip', async () => {
    const auth = await b.adminAuth();
    const lock = await holdLock(database.url, AdvisoryLock.JobCollectGarbage);
    try {
      // Whoever holds the lock (here: a separate connection standing in for another instance) is "running".
      expect((await jobsOf(a)).get('collect-garbage')?.running).toBe(true);
      for (const t of [a, b]) {
        const refused = await t.http.post('/api/admin/maintenance/collect-garbage').set('Authorization', auth);
        expect(refused.status).toBe(409);
        expect(refused.body.code).toBe('CONFLICT');
      }
      const during = (await jobsOf(b)).get('collect-garbage')!;
      expect(during.lastRun).toBeNull();
      expect(during.outcomes.skipped).toBe(2);
    } finally {
      await lock.release();
    }
    const ran = await a.http.post('/api/admin/maintenance/collect-garbage').set('Authorization', auth);
    expect(ran.status).toBe(200);
    const after = (await jobsOf(b)).get('collect-garbage')!;
    expect(after).toMatchObject({ running: false, lastRun: { outcome: 'succeeded' } });
    expect(after.lastRun!.counts).toHaveProperty('objectsDeleted');
    expect(after.outcomes).toEqual({ succeeded: 1, failed: 0, skipped: 2 });
  });

  it('keeps only the newest runs of each job and outcome', async () => {
    const small = await createTestApp({ databaseUrl: database.url, env: { JOB_RUNS_KEPT: '3' } });
    try {
      const auth = await small.adminAuth();
      for (let i = 0; i < 5; i++) {
        expect((await small.http.post('/api/admin/maintenance/purge-trash').set('Authorization', auth)).status).toBe(
          200,
        );
      }
      const rows = await small
        .get(DataSource)
        .query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM job_runs WHERE job = 'purge-trash'`);
      expect(rows[0].n).toBe(3);
      expect((await jobsOf(small)).get('purge-trash')?.outcomes.succeeded).toBe(3);
    } finally {
      await small.close();
    }
  });
});

describe('the scheduler', () => {
  const app = useTestApp({
    env: {
      SCHEDULED_JOBS_ENABLED: 'true',
      JOB_SCHEDULE_EXPIRE_PENDING: '1s',
      JOB_SCHEDULE_PROCESS_DELETIONS: 'off',
      JOB_SCHEDULE_PURGE_TRASH: '0 3 * * *',
    },
  });

  it('runs a job on its configured interval and reports the next run', async () => {
    const expire = await waitFor(async () => {
      const job = (await jobsOf(app)).get('expire-pending')!;
      return job.outcomes.succeeded >= 2 ? job : undefined;
    });
    expect(expire).toMatchObject({
      enabled: true,
      schedule: '1s',
      lastRun: { outcome: 'succeeded', counts: { expired: 0 } },
    });
    expect(Date.parse(expire.nextRunAt!)).toBeGreaterThan(Date.now() - 1000);

    const jobs = await jobsOf(app);
    expect(jobs.get('process-deletions')).toMatchObject({ enabled: false, schedule: 'off', lastRun: null });
    expect(jobs.get('process-deletions')?.nextRunAt).toBeUndefined();
    const purge = jobs.get('purge-trash')!;
    expect(purge.enabled).toBe(true);
    const next = new Date(purge.nextRunAt!);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect([next.getHours(), next.getMinutes()]).toEqual([3, 0]);
  });
});
