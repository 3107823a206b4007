/**
 * A rendition worker process killed (SIGKILL) mid-job, after writing its renditions and before recording them:
 * the job is taken again once its lease lapses, and the dead worker's objects are collected, so I6 holds.
 */
import pg from 'pg';
import { DataSource } from 'typeorm';
import { CONTENT_LOCK_CLASS } from '../../src/database/locks.js';
import { RenditionsMaintenance } from '../../src/renditions/renditions-maintenance.service.js';
import { RenditionWorker } from '../../src/renditions/rendition-worker.service.js';
import { ObjectStorage } from '../../src/storage/object-storage.js';
import { testAppEnv, useTestApp } from '../support/app.js';
import { startChildApp } from '../support/child-app.js';
import { count, drainDeletions, upload } from '../support/files.js';
import { solidImage } from '../support/media.js';
import { waitForLockWaiters } from '../support/race.js';
import { checkRenditionInvariants } from '../support/rendition-invariants.js';
import { waitUntil } from '../support/wait.js';

const ENV = { ORPHAN_GRACE_MINUTES: '0', RENDITION_LEASE_SECONDS: '2', RENDITION_RETRY_SECONDS: '0' };

describe('a rendition worker killed between writing its renditions and recording them', () => {
  const t = useTestApp({ env: ENV });

  /** Holds the content lock of `hash` (the first thing a worker's recording transaction takes). */
  async function holdContentLock(hash: string) {
    const client = new pg.Client({ connectionString: t.databaseUrl });
    await client.connect();
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [CONTENT_LOCK_CLASS, hash]);
    return {
      release: async () => {
        await client.query('ROLLBACK');
        await client.end();
      },
    };
  }

  async function renditionObjects(): Promise<string[]> {
    const keys: string[] = [];
    for await (const object of t.get(ObjectStorage).list('renditions/')) keys.push(object.key);
    return keys.sort();
  }

  it('re-renders the job after its lease lapses and collects the dead worker objects', async () => {
    // The upload queues the job (role api: nothing renders here); the worker starts once the barrier holds.
    const { hash } = await upload(t, await t.adminAuth(), await solidImage(900, 600, '#208040').jpeg().toBuffer());
    let barrier: { release(): Promise<void> } | undefined = await holdContentLock(hash);
    let child: Awaited<ReturnType<typeof startChildApp>> | undefined;
    try {
      child = await startChildApp(
        testAppEnv({ databaseUrl: t.databaseUrl, bucket: t.bucket, env: { ...ENV, MEDIAVAULT_ROLE: 'worker' } }),
      );
      // The child's worker claims the job, renders, writes both objects, then waits for the content lock.
      await waitForLockWaiters(t.databaseUrl, 1);
      await child.kill('SIGKILL');
      await barrier.release();
      barrier = undefined;

      // Its transaction died with it: the job still "runs" under its lease, two objects lie in the bucket,
      // each with a claim on it, and nothing is recorded.
      const debris = await renditionObjects();
      expect(debris).toHaveLength(2);
      expect(await count(t, `SELECT 1 FROM upload_sessions WHERE object_key = ANY($1)`, [debris])).toBe(2);
      expect(await count(t, `SELECT 1 FROM renditions WHERE hash = $1`, [hash])).toBe(0);
      expect(await count(t, `SELECT 1 FROM rendition_jobs WHERE hash = $1 AND status = 'running'`, [hash])).toBe(1);

      // Another worker takes the job once the lease lapses (no heartbeat: the process is gone).
      await waitUntil(
        'the job taken again and rendered',
        async () => (await t.get(RenditionWorker).processDue()) === 1,
        {
          intervalMs: 100,
        },
      );
      const [job] = await t
        .get(DataSource)
        .query<Array<{ status: string; attempts: number }>>(
          `SELECT status, attempts FROM rendition_jobs WHERE hash = $1`,
          [hash],
        );
      expect(job).toEqual({ status: 'ready', attempts: 2 });

      // While the dead worker's claims look live, GC keeps its objects; once they are stale, it collects them.
      expect((await t.get(RenditionsMaintenance).collectOrphans()).orphanObjectsQueued).toBe(0);
      await t
        .get(DataSource)
        .query(`UPDATE upload_sessions SET touched_at = now() - interval '1 day' WHERE object_key = ANY($1)`, [debris]);
      expect(await t.get(RenditionsMaintenance).collectOrphans()).toEqual({ orphanObjectsQueued: 2, staleClaims: 2 });
      await drainDeletions(t);

      const left = await renditionObjects();
      expect(left).toHaveLength(2);
      expect(left.filter((key) => debris.includes(key))).toEqual([]);
      const violations = await checkRenditionInvariants({
        dataSource: t.get(DataSource),
        storage: t.get(ObjectStorage),
        quiescent: true,
        drained: true,
      });
      expect(violations).toEqual([]);
    } finally {
      await barrier?.release();
      await child?.kill();
    }
  });
});
