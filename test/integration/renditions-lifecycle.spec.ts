import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import { AuthController } from '../../src/auth/auth.controller.js';
import { AuthService } from '../../src/auth/auth.service.js';
import { MediaFilesController } from '../../src/file-manager/controllers/media-files.controller.js';
import { HashCleanupService } from '../../src/file-manager/services/hash-cleanup.service.js';
import { StorageDeletionQueue } from '../../src/file-manager/services/storage-deletion-queue.service.js';
import { HealthController } from '../../src/health/health.controller.js';
import { MaintenanceScheduler } from '../../src/maintenance/maintenance.scheduler.js';
import { MetricsController } from '../../src/metrics/metrics.controller.js';
import { RenditionWorker } from '../../src/renditions/rendition-worker.service.js';
import { ObjectStorage } from '../../src/storage/object-storage.js';
import { useTestApp } from '../support/app.js';
import { testBucketName, useTestDatabase } from '../support/database.js';
import { createMediaFile, drainDeletions, purge, reject, trash, upload } from '../support/files.js';
import { cameraJpeg, solidImage, truncated } from '../support/media.js';
import { createMediaFile as createLibraryFile } from './library-fixtures.js';

/**
 * Renditions in the content lifecycle (docs/renditions.md): the steps of HashCleanupService that record content
 * queue its renditions in their own transaction. The app runs as role `api`, so the spec drives the worker with
 * `processDue()`.
 */
const database = useTestDatabase();
const bucket = testBucketName();
const t = useTestApp({
  database,
  bucket,
  env: { ORPHAN_GRACE_MINUTES: '0', RENDITION_RETRY_SECONDS: '0', RENDITION_MAX_ATTEMPTS: '1' },
});
let admin: string;

beforeAll(async () => (admin = await t.adminAuth()));

interface JobRow {
  status: string;
  attempts: number;
  jobs: number;
}

async function jobOf(hash: string): Promise<JobRow | undefined> {
  const [row] = await t.get(DataSource).query<JobRow[]>(
    `SELECT status, attempts, (SELECT count(*)::int FROM rendition_jobs WHERE hash = $1) AS jobs
       FROM rendition_jobs WHERE hash = $1`,
    [hash],
  );
  return row;
}

async function renditionsOf(hash: string): Promise<Array<{ kind: string; objectKey: string }>> {
  return t
    .get(DataSource)
    .query(`SELECT kind, object_key AS "objectKey" FROM renditions WHERE hash = $1 ORDER BY kind`, [hash]);
}

/** A distinct small PNG per call (colour from a counter), so every test stores content of its own. */
let colour = 0x100000;
const png = () =>
  solidImage(48, 32, `#${(colour += 0x010203).toString(16).slice(-6)}`)
    .png()
    .toBuffer();

const worker = () => t.get(RenditionWorker);
const runJob = (job: string) => t.http.post(`/api/admin/maintenance/${job}`).set('Authorization', admin);

async function exists(key: string): Promise<boolean> {
  return (await t.get(ObjectStorage).stat(key)) !== null;
}

/** Content stored before renditions existed: uploads queue their content now, so its job is removed again. */
async function forgetJob(hash: string): Promise<void> {
  await t.get(DataSource).query(`DELETE FROM rendition_jobs WHERE hash = $1`, [hash]);
}

describe('enqueue on record', () => {
  it('queues an uploaded image with its pending file; the worker stores a thumbnail and a preview', async () => {
    const uploaded = await upload(t, admin, await cameraJpeg(), 'camera.jpg');
    expect(uploaded.status).toBe('pending');
    expect(await jobOf(uploaded.hash)).toEqual({ status: 'pending', attempts: 0, jobs: 1 });

    await expect(t.get(RenditionWorker).processDue()).resolves.toBeGreaterThanOrEqual(1);

    expect(await jobOf(uploaded.hash)).toEqual({ status: 'ready', attempts: 1, jobs: 1 });
    const renditions = await renditionsOf(uploaded.hash);
    expect(renditions.map((row) => row.kind)).toEqual(['preview', 'thumbnail']);
    for (const { objectKey } of renditions) {
      expect(objectKey).toMatch(/^renditions\//);
      await expect(t.get(ObjectStorage).stat(objectKey)).resolves.toBeTruthy();
    }
  });

  it('does not queue or render a duplicate upload again', async () => {
    const bytes = await solidImage(64, 48, '#336699').png().toBuffer();
    const first = await upload(t, admin, bytes, 'first.png');
    await t.get(RenditionWorker).processDue();
    const rendered = await renditionsOf(first.hash);
    expect(rendered).toHaveLength(2);

    const again = await upload(t, admin, bytes, 'again.png');

    expect(again).toMatchObject({ hash: first.hash, status: 'pending_updated' });
    expect(await jobOf(first.hash)).toEqual({ status: 'ready', attempts: 1, jobs: 1 });
    await expect(t.get(RenditionWorker).processDue()).resolves.toBe(0);
    expect(await renditionsOf(first.hash)).toEqual(rendered);
  });

  it('queues the new content of an admin content replacement', async () => {
    const file = await createMediaFile(t, admin, await solidImage(40, 40, '#101010').png().toBuffer());
    const replacement = await solidImage(40, 40, '#202020').png().toBuffer();

    const response = await t.http
      .put(`/api/files/${file.mediaId}/content`)
      .set('Authorization', admin)
      .attach('file', replacement, 'new.png');

    expect(response.status).toBe(200);
    const newHash = response.body.hash as string;
    expect(newHash).not.toBe(file.hash);
    expect(await jobOf(newHash)).toEqual({ status: 'pending', attempts: 0, jobs: 1 });
    await t.get(RenditionWorker).processDue();
    expect(await renditionsOf(newHash)).toHaveLength(2);
  });
});

describe('enqueue on a member content replacement (through moderation)', () => {
  it('queues the proposed content, so the moderators see what they approve', async () => {
    const member = await t.createUser('member');
    const file = await createLibraryFile(t, {
      title: 'Member picture',
      uploader: member.auth,
      accessLevel: 'members',
      content: await png(),
      filename: 'mine.png',
    });
    const replacement = await png();

    const response = await t.http
      .put(`/api/files/${file.id as string}/content`)
      .set('Authorization', member.auth)
      .attach('file', replacement, 'proposed.png');

    expect([response.status, response.body.status]).toEqual([201, 'pending']);
    const hash = response.body.pendingFile.hash as string;
    expect(await jobOf(hash)).toEqual({ status: 'pending', attempts: 0, jobs: 1 });
    await worker().processDue();
    expect((await renditionsOf(hash)).map((row) => row.kind)).toEqual(['preview', 'thumbnail']);
  });
});

describe('renditions are freed with their content', () => {
  afterEach(() => jest.restoreAllMocks());

  type Step = 'purge' | 'reject' | 'expire' | 'replace';
  /** Stores rendered content and answers the step that frees it. */
  const setups: Record<Step, () => Promise<{ hash: string; free: () => Promise<unknown> }>> = {
    purge: async () => {
      const file = await createMediaFile(t, admin, await png());
      return {
        hash: file.hash,
        free: async () => {
          expect((await trash(t, admin, file.mediaId)).status).toBe(204);
          expect((await purge(t, admin, file.mediaId)).status).toBe(204);
        },
      };
    },
    reject: async () => {
      const uploaded = await upload(t, admin, await png(), 'rejected.png');
      return {
        hash: uploaded.hash,
        free: async () => expect((await reject(t, admin, uploaded.pendingFile!.id)).status).toBe(200),
      };
    },
    expire: async () => {
      const uploaded = await upload(t, admin, await png(), 'expiring.png');
      return {
        hash: uploaded.hash,
        free: async () => {
          await t
            .get(DataSource)
            .query(`UPDATE pending_files SET expires_at = now() - interval '1 minute' WHERE id = $1`, [
              uploaded.pendingFile!.id,
            ]);
          expect((await runJob('expire-pending')).body).toMatchObject({ expired: 1 });
        },
      };
    },
    replace: async () => {
      const file = await createMediaFile(t, admin, await png());
      const replacement = await png();
      return {
        hash: file.hash,
        free: async () => {
          const response = await t.http
            .put(`/api/files/${file.mediaId}/content`)
            .set('Authorization', admin)
            .attach('file', replacement, 'replacement.png');
          expect(response.status).toBe(200);
        },
      };
    },
  };

  it.each(Object.keys(setups) as Step[])(
    '%s: the rendition objects go to the deletion outbox with the content, then out of the bucket',
    async (step) => {
      const { hash, free } = await setups[step]();
      await worker().processDue();
      const keys = (await renditionsOf(hash)).map((row) => row.objectKey);
      expect(keys).toHaveLength(2);
      // Hold the outbox's background drain, to see what the freeing transaction wrote.
      jest.spyOn(t.get(StorageDeletionQueue), 'drainSoon').mockImplementation(() => undefined);

      await free();

      const queued = await t
        .get(DataSource)
        .query<Array<{ objectKey: string; reason: string }>>(
          `SELECT object_key AS "objectKey", reason FROM storage_deletions WHERE object_key = ANY($1) ORDER BY 1`,
          [keys],
        );
      expect(queued).toEqual([...keys].sort().map((objectKey) => ({ objectKey, reason: 'rendition-released' })));
      expect(await renditionsOf(hash)).toEqual([]);
      expect(await jobOf(hash)).toBeUndefined();
      jest.restoreAllMocks();
      await drainDeletions(t);
      for (const key of keys) expect(await exists(key)).toBe(false);
    },
  );
});

describe('garbage collection, storage report and verification', () => {
  it('collect-garbage takes rendition objects nothing records and keeps recorded ones', async () => {
    const uploaded = await upload(t, admin, await png(), 'kept.png');
    await worker().processDue();
    const kept = (await renditionsOf(uploaded.hash)).map((row) => row.objectKey);
    const stray = `renditions/${randomUUID()}.webp`;
    await t.get(ObjectStorage).putStream(stray, Readable.from([Buffer.from('left by a dead worker')]));

    const response = await runJob('collect-garbage');

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ orphanRenditionsQueued: 1 });
    await drainDeletions(t);
    expect(await exists(stray)).toBe(false);
    for (const key of kept) expect(await exists(key)).toBe(true);
  });

  it('the storage report counts rendition objects as referenced, not as orphans', async () => {
    await upload(t, admin, await png(), 'reported.png');
    await worker().processDue();
    await runJob('collect-garbage');
    await drainDeletions(t);
    const [{ renditions }] = await t
      .get(DataSource)
      .query<Array<{ renditions: number }>>(`SELECT count(*)::int AS renditions FROM renditions`);
    expect(renditions).toBeGreaterThanOrEqual(2);

    const report = await t.http.get('/api/admin/storage').set('Authorization', admin);

    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({ orphanObjects: 0, missingObjects: 0 });
    expect(report.body.referencedObjects).toBe(report.body.objects);
  });

  it('verify-integrity reports recorded renditions whose object is missing, and deletes nothing', async () => {
    const uploaded = await upload(t, admin, await png(), 'verified.png');
    await worker().processDue();
    const before = await runJob('verify-integrity');
    expect(before.body.renditions).toMatchObject({ missing: 0, missingKeys: [] });
    expect(before.body.renditions.checked).toBeGreaterThanOrEqual(2);
    const [victim] = await renditionsOf(uploaded.hash);
    await t.get(ObjectStorage).remove(victim.objectKey);

    const after = await runJob('verify-integrity');

    expect(after.status).toBe(200);
    expect(after.body.renditions).toMatchObject({ missing: 1, missingKeys: [victim.objectKey] });
    expect(after.body).toMatchObject({ missing: 0, corrupt: 0 }); // the contents themselves are fine
    expect(await renditionsOf(uploaded.hash)).toHaveLength(2); // reported, not "repaired"
    // Repair by rendering again (the documented way): a newer job replaces the rows; here, just clean up.
    await t.get(DataSource).query(`DELETE FROM renditions WHERE object_key = $1`, [victim.objectKey]);
  });
});

describe('the generate-renditions job', () => {
  it('queues contents without a job, renders what is due and answers the counts, recorded as a job run', async () => {
    await worker().processDue(); // earlier tests' leftovers: this run's counts are its own
    const image = await upload(t, admin, await png(), 'backfilled.png');
    await forgetJob(image.hash);
    const broken = await upload(t, admin, truncated(await solidImage(300, 200).jpeg().toBuffer()), 'broken.jpg');
    const text = await upload(t, admin, Buffer.from(`nothing to draw ${randomUUID()}\n`), 'notes.txt');

    const response = await runJob('generate-renditions');

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      job: 'generate-renditions',
      durationMs: expect.any(Number),
      queued: 1,
      processed: 3,
      ready: 1,
      unsupported: 1,
      failed: 1,
      retry: 0,
      discarded: 0,
      remaining: 0,
    });
    expect(await jobOf(image.hash)).toMatchObject({ status: 'ready' });
    expect(await jobOf(broken.hash)).toMatchObject({ status: 'failed' });
    expect(await jobOf(text.hash)).toMatchObject({ status: 'unsupported' });
    const jobs = await t.http.get('/api/admin/jobs').set('Authorization', admin);
    const overview = (jobs.body.jobs as Array<{ job: string }>).find((job) => job.job === 'generate-renditions');
    expect(overview).toMatchObject({
      schedule: 'off',
      lastRun: { outcome: 'succeeded', counts: { queued: 1, ready: 1, failed: 1, unsupported: 1 } },
    });
  });

  it('answers 409 while another run holds the job', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await upload(t, admin, await png(), 'slow.png');
    worker().hooks.beforeRender = () => held;
    try {
      const first = runJob('generate-renditions').then((response) => response);
      await waitFor(async () => (await jobOfStatus('running')) > 0);

      const second = await runJob('generate-renditions');

      expect(second.status).toBe(409);
      release();
      expect((await first).status).toBe(200);
    } finally {
      release();
      delete worker().hooks.beforeRender;
    }
  });
});

describe('an instance with MEDIAVAULT_ROLE=worker', () => {
  const renderer = useTestApp({ database, bucket, env: { MEDIAVAULT_ROLE: 'worker', ORPHAN_GRACE_MINUTES: '0' } });

  it.each([
    ['GET', '/api/files'],
    ['POST', '/api/auth/login'],
    ['GET', '/api/admin/jobs'],
    ['GET', '/'],
  ])('answers %s %s with 503 SERVICE_UNAVAILABLE in the contract error body', async (method, path) => {
    const response = await renderer.http[method === 'GET' ? 'get' : 'post'](path).set('X-Request-Id', 'worker-1');

    expect(response.status).toBe(503);
    expect(response.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'SERVICE_UNAVAILABLE',
      message: expect.stringContaining('MEDIAVAULT_ROLE=worker'),
      details: { role: 'worker' },
      requestId: 'worker-1',
    });
  });

  it('still answers health and metrics, and renders what the api instance queues', async () => {
    expect((await renderer.http.get('/api/health')).status).toBe(200);
    expect((await renderer.http.get('/api/metrics')).status).toBe(200);

    const uploaded = await upload(t, admin, await png(), 'rendered-elsewhere.png');

    await waitFor(async () => (await jobOf(uploaded.hash))?.status === 'ready');
    expect(await renditionsOf(uploaded.hash)).toHaveLength(2);
  });

  // The API layer a worker serves none of: it runs a lean root module (WorkerAppModule) without them.
  const apiLayer: Array<abstract new (...args: never[]) => unknown> = [
    MediaFilesController,
    HashCleanupService,
    AuthController,
    AuthService,
    MaintenanceScheduler,
  ];

  it.each(apiLayer.map((token) => [token.name, token] as const))('does not construct %s', (_, token) => {
    // The api instance has it: the lookup itself works.
    expect(t.get(token)).toBeInstanceOf(token);
    expect(() => renderer.get(token)).toThrow(/could not find/);
  });

  it('constructs the rendition worker and the health and metrics controllers', () => {
    expect(renderer.get(RenditionWorker).running).toBe(true);
    expect(renderer.get(HealthController)).toBeInstanceOf(HealthController);
    expect(renderer.get(MetricsController)).toBeInstanceOf(MetricsController);
  });

  describe('with METRICS_ALLOWED_IPS', () => {
    const guarded = useTestApp({
      database,
      bucket,
      env: { MEDIAVAULT_ROLE: 'worker', METRICS_ALLOWED_IPS: '10.0.0.0/8', TRUST_PROXY: 'loopback' },
    });

    it('keeps the metrics access rule: only the listed networks may scrape; health stays open', async () => {
      const refused = await guarded.http.get('/api/metrics');
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ statusCode: 403, code: 'FORBIDDEN' });
      expect((await guarded.http.get('/api/metrics').set('X-Forwarded-For', '10.1.2.3')).status).toBe(200);
      expect((await guarded.http.get('/api/health')).status).toBe(200);
    });
  });
});

async function jobOfStatus(status: string): Promise<number> {
  const [{ n }] = await t
    .get(DataSource)
    .query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM rendition_jobs WHERE status = $1`, [status]);
  return n;
}

async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('condition not reached');
}
