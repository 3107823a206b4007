import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { pipeline, Readable, Transform } from 'node:stream';
import sharp from 'sharp';
import { DataSource } from 'typeorm';
import { inTransaction } from '../../src/database/transactions.js';
import { RenditionJobsRepository } from '../../src/renditions/rendition-jobs.repository.js';
import { RenditionWorker } from '../../src/renditions/rendition-worker.service.js';
import { MetricsService } from '../../src/metrics/metrics.service.js';
import { GENERATOR_VERSION } from '../../src/renditions/renditions.constants.js';
import { RenditionsMaintenance } from '../../src/renditions/renditions-maintenance.service.js';
import { RenditionsService } from '../../src/renditions/renditions.service.js';
import { ObjectStorage } from '../../src/storage/object-storage.js';
import { createTestApp, useTestApp } from '../support/app.js';
import { testBucketName, useTestDatabase } from '../support/database.js';
import { drainDeletions, readObject, reject, upload } from '../support/files.js';
import { cameraJpeg, solidImage, testAudio, testPdf, testVideo, truncated } from '../support/media.js';
import { checkRenditionInvariants } from '../support/rendition-invariants.js';
import { waitUntil } from '../support/wait.js';

/**
 * The rendition queue and worker against the real PostgreSQL and S3 server: two application instances on one
 * database and bucket, each with its own worker, driven by `processDue()` (no background lanes: role `api`).
 */
const WORKER_ENV = {
  RENDITION_RETRY_SECONDS: '0',
  RENDITION_MAX_ATTEMPTS: '3',
  RENDITION_CONCURRENCY: '2',
  RENDITION_LEASE_SECONDS: '60',
  ORPHAN_GRACE_MINUTES: '0',
};

const database = useTestDatabase();
const bucket = testBucketName();
const a = useTestApp({ database, bucket, env: WORKER_ENV });
const b = useTestApp({ database, bucket, env: WORKER_ENV });
let admin: string;

beforeAll(async () => (admin = await a.adminAuth()));

afterEach(() => {
  for (const t of [a, b]) {
    const hooks = t.get(RenditionWorker).hooks;
    delete hooks.beforeRender;
    delete hooks.beforeRecord;
    delete hooks.awaitingRenderSlot;
    delete hooks.rendering;
  }
});

const service = () => a.get(RenditionsService);

/** Uploads `bytes` (a pending file keeps the content stored) and queues it; answers the hash and pending id. */
async function storeAndQueue(bytes: Buffer, filename = 'file.jpg') {
  const uploaded = await upload(a, admin, bytes, filename);
  await service().enqueue(uploaded.hash);
  return { hash: uploaded.hash, pendingId: uploaded.pendingFile!.id };
}

interface JobRow {
  status: string;
  attempts: number;
  failureReason: string | null;
  leaseOwner: string | null;
  backedOff: boolean;
}

async function job(hash: string) {
  const [row] = await a.get(DataSource).query<Array<JobRow>>(
    `SELECT status, attempts, failure_reason AS "failureReason", lease_owner AS "leaseOwner",
            next_attempt_at > now() + interval '30 minutes' AS "backedOff"
       FROM rendition_jobs WHERE hash = $1`,
    [hash],
  );
  return row;
}

/** Waits until the lease on the job of `hash` has run out (its worker is taken for dead). */
async function leaseLapsed(hash: string): Promise<void> {
  await waitUntil(
    'the lease to lapse',
    async () => {
      const [{ lapsed }] = await a
        .get(DataSource)
        .query<Array<{ lapsed: boolean }>>(
          `SELECT lease_expires_at <= now() AS lapsed FROM rendition_jobs WHERE hash = $1`,
          [hash],
        );
      return lapsed;
    },
    { intervalMs: 100 },
  );
}

async function renditionKeysOf(hash: string): Promise<string[]> {
  const rows = await a
    .get(DataSource)
    .query<Array<{ objectKey: string }>>(
      `SELECT object_key AS "objectKey" FROM renditions WHERE hash = $1 ORDER BY kind`,
      [hash],
    );
  return rows.map((row) => row.objectKey);
}

/** Content stored before renditions existed: uploads queue their content now, so its job is removed again. */
async function forgetJob(hash: string): Promise<void> {
  await a.get(DataSource).query(`DELETE FROM rendition_jobs WHERE hash = $1`, [hash]);
}

async function renditionObjectsInBucket(): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of a.get(ObjectStorage).list('renditions/')) keys.push(object.key);
  return keys.sort();
}

async function claimsLeft(): Promise<number> {
  const [{ n }] = await a
    .get(DataSource)
    .query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM upload_sessions WHERE object_key LIKE 'renditions/%'`);
  return n;
}

async function queuedDeletions(keys: string[]): Promise<string[]> {
  const rows = await a
    .get(DataSource)
    .query<Array<{ objectKey: string }>>(
      `SELECT object_key AS "objectKey" FROM storage_deletions WHERE object_key = ANY($1) ORDER BY object_key`,
      [keys],
    );
  return rows.map((row) => row.objectKey);
}

/** A promise and the function that settles it: holds a worker at a hook until the spec lets it go. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  let arrive!: () => void;
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  return { opened, open, arrived, arrive };
}

describe('rendering through the queue', () => {
  it('renders a queued image once: two WebP objects, placeholder and mediaInfo recorded, no claim left', async () => {
    const { hash } = await storeAndQueue(await cameraJpeg());

    await expect(service().enqueue(hash)).resolves.toBe(false); // idempotent
    await expect(a.get(RenditionWorker).processDue()).resolves.toBe(1);
    await expect(b.get(RenditionWorker).processDue()).resolves.toBe(0); // nothing left to do

    const state = (await service().statusFor([hash])).get(hash);
    expect(state).toMatchObject({
      status: 'ready',
      thumbnail: { contentType: 'image/webp', width: 100, height: 200 },
      preview: { contentType: 'image/webp', width: 100, height: 200 },
      placeholder: expect.any(String),
      mediaInfo: { width: 100, height: 200, camera: { make: 'TestCam' }, gps: { latitude: expect.any(Number) } },
    });
    const keys = await renditionKeysOf(hash);
    expect(keys).toEqual([state!.preview!.objectKey, state!.thumbnail!.objectKey]);
    for (const key of keys) {
      expect(key).toMatch(/^renditions\/[0-9a-f-]{36}\.webp$/);
      const bytes = await readObject(a, key);
      const metadata = await sharp(bytes).metadata();
      expect(metadata).toMatchObject({ format: 'webp', width: 100, height: 200 });
      expect(metadata.exif).toBeUndefined();
    }
    expect(await service().renditionsFor(hash)).toEqual({ thumbnail: state!.thumbnail, preview: state!.preview });
    expect(await claimsLeft()).toBe(0);
    await expect(service().enqueue(hash)).resolves.toBe(false); // ready at this version: not rendered again
    const metrics = await a.get(MetricsService).registry.getSingleMetricAsString('mediavault_renditions_total');
    expect(metrics).toContain('mediavault_renditions_total{outcome="ready"} 1');
  });

  it('enqueues inside the caller transaction: a rollback leaves no job', async () => {
    const { hash } = await upload(a, admin, await solidImage(50, 50, '#123456').png().toBuffer(), 'small.png');
    expect((await service().statusFor([hash])).get(hash)).toMatchObject({ status: 'pending' }); // queued on upload
    await forgetJob(hash);

    await expect(
      inTransaction(a.get(DataSource), async (runner) => {
        await service().enqueue(hash, runner);
        throw new Error('the caller changed its mind');
      }),
    ).rejects.toThrow('changed its mind');
    expect((await service().statusFor([hash])).has(hash)).toBe(false);

    await inTransaction(a.get(DataSource), (runner) => service().enqueue(hash, runner));
    expect((await service().statusFor([hash])).get(hash)).toMatchObject({ status: 'pending' });
  });

  it('records audio as ready without images, and other content as unsupported', async () => {
    const audio = await storeAndQueue(await testAudio(2), 'tone.mp3');
    const text = await storeAndQueue(Buffer.from('plain words, nothing to look at\n'), 'notes.txt');

    await a.get(RenditionWorker).processDue();

    const states = await service().statusFor([audio.hash, text.hash]);
    expect(states.get(audio.hash)).toEqual({
      status: 'ready',
      mediaInfo: { durationSeconds: expect.any(Number), audioCodec: 'mp3' },
    });
    expect(states.get(text.hash)).toEqual({ status: 'unsupported' });
    expect(await renditionKeysOf(audio.hash)).toEqual([]);
    expect(await renditionKeysOf(text.hash)).toEqual([]);
  });

  it('reads only the first bytes of content it has nothing to draw for', async () => {
    const { hash } = await storeAndQueue(randomBytes(8 * 1024 * 1024), 'archive.bin');
    // Counts the bytes the worker takes from storage: a pass-through pulls only as fast as it is read.
    const storage = a.get(ObjectStorage);
    const getStream = storage.getStream.bind(storage);
    let bytesRead = 0;
    const reads = jest.spyOn(storage, 'getStream').mockImplementation(async (key, range) => {
      const counted = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          bytesRead += chunk.length;
          done(null, chunk);
        },
      });
      // pipeline, not pipe: the worker destroying what it was given must end the storage read as well.
      pipeline(await getStream(key, range), counted, () => undefined);
      return counted;
    });
    try {
      await a.get(RenditionWorker).processDue();

      expect((await service().statusFor([hash])).get(hash)).toEqual({ status: 'unsupported' });
      expect(reads).toHaveBeenCalledTimes(1);
      expect(bytesRead).toBeGreaterThanOrEqual(64 * 1024);
      expect(bytesRead).toBeLessThan(1024 * 1024);
    } finally {
      reads.mockRestore();
    }
  });
});

describe('failures', () => {
  it('retries a file that cannot be rendered, then records it failed with a reason', async () => {
    const before = await renditionObjectsInBucket();
    const { hash } = await storeAndQueue(truncated(await solidImage(900, 700).jpeg().toBuffer()));

    await a.get(RenditionWorker).processDue(); // RENDITION_RETRY_SECONDS=0: the retries are due at once

    expect(await job(hash)).toMatchObject({ status: 'failed', attempts: 3, leaseOwner: null });
    expect((await job(hash)).failureReason).toMatch(/image could not be rendered/);
    expect((await service().statusFor([hash])).get(hash)).toMatchObject({
      status: 'failed',
      failureReason: expect.stringMatching(/premature end|truncated|JPEG/i),
    });
    await expect(a.get(RenditionWorker).processDue()).resolves.toBe(0); // not retried forever
    expect(await renditionObjectsInBucket()).toEqual(before);
    expect(await claimsLeft()).toBe(0);
  });

  it('waits before retrying (backoff), instead of retrying at once', async () => {
    const patient = await createTestApp({
      databaseUrl: database.url,
      bucket,
      env: { ...WORKER_ENV, RENDITION_RETRY_SECONDS: '3600' },
    });
    try {
      const broken = truncated(await solidImage(500, 400).jpeg().toBuffer());
      const uploaded = await upload(patient, admin, broken, 'broken.jpg');
      await patient.get(RenditionsService).enqueue(uploaded.hash);

      await expect(patient.get(RenditionWorker).processDue()).resolves.toBe(1);

      expect(await job(uploaded.hash)).toMatchObject({ status: 'pending', attempts: 1, backedOff: true });
      await expect(patient.get(RenditionWorker).processDue()).resolves.toBe(0);
    } finally {
      await patient.close();
    }
  });
});

describe('render slots', () => {
  it('downloads the next job while one renders, yet renders only RENDITION_CONCURRENCY at a time', async () => {
    const single = await createTestApp({
      databaseUrl: database.url,
      bucket,
      env: { ...WORKER_ENV, RENDITION_CONCURRENCY: '1' },
    });
    try {
      const first = await storeAndQueue(await solidImage(320, 240, '#102030').jpeg().toBuffer(), 'slot-1.jpg');
      const second = await storeAndQueue(await solidImage(330, 240, '#203040').jpeg().toBuffer(), 'slot-2.jpg');
      const rendering: string[] = [];
      const held = gate();
      const waiting = gate();
      const hooks = single.get(RenditionWorker).hooks;
      hooks.rendering = async (claimed) => {
        rendering.push(claimed.hash);
        if (rendering.length === 1) {
          held.arrive();
          await held.opened;
        }
      };
      const awaiting: string[] = [];
      hooks.awaitingRenderSlot = (claimed) => {
        awaiting.push(claimed.hash);
        if (awaiting.length === 2) waiting.arrive();
        return Promise.resolve();
      };

      const processed = single.get(RenditionWorker).processDue();
      await held.arrived;
      // The other job is taken and downloaded while the first renders (its lane does not idle)...
      await waiting.arrived;
      await new Promise((resolve) => setImmediate(resolve));
      // ...but it waits for the one render slot.
      expect(rendering).toHaveLength(1);
      held.open();

      await expect(processed).resolves.toBe(2);
      expect([...rendering].sort()).toEqual([first.hash, second.hash].sort());
      for (const { hash } of [first, second]) expect((await job(hash)).status).toBe('ready');
      expect(await claimsLeft()).toBe(0);
    } finally {
      await single.close();
    }
  });
});

describe('several workers', () => {
  it('never lets two workers render the same content at once', async () => {
    const { hash } = await storeAndQueue(await solidImage(640, 480, '#336699').jpeg().toBuffer());
    const held = gate();
    a.get(RenditionWorker).hooks.beforeRender = async () => {
      held.arrive();
      await held.opened;
    };

    const first = a.get(RenditionWorker).processDue();
    await held.arrived;
    // While a's worker holds the job, b's finds nothing to do.
    await expect(b.get(RenditionWorker).processDue()).resolves.toBe(0);
    expect((await job(hash)).leaseOwner).toBe(a.get(RenditionWorker).instanceId);
    held.open();
    await expect(first).resolves.toBe(1);

    expect((await job(hash)).status).toBe('ready');
    expect((await job(hash)).attempts).toBe(1);
    expect(await renditionKeysOf(hash)).toHaveLength(2);
  });

  it('shares a backlog between two instances, each content rendered exactly once', async () => {
    const hashes = [];
    for (let index = 0; index < 6; index += 1) {
      const image = await solidImage(300 + index, 200, '#aa5500')
        .png()
        .toBuffer();
      hashes.push((await storeAndQueue(image, `b${index}.png`)).hash);
    }
    const renders: string[] = [];
    for (const t of [a, b]) {
      t.get(RenditionWorker).hooks.beforeRender = (claimed) => {
        renders.push(claimed.hash);
        return Promise.resolve();
      };
    }

    const [byA, byB] = await Promise.all([a.get(RenditionWorker).processDue(), b.get(RenditionWorker).processDue()]);

    expect(byA + byB).toBe(6);
    expect([...renders].sort()).toEqual([...hashes].sort());
    const states = await service().statusFor(hashes);
    for (const hash of hashes) {
      expect(states.get(hash)?.status).toBe('ready');
      expect(await renditionKeysOf(hash)).toHaveLength(2);
    }
    expect(await claimsLeft()).toBe(0);
  });

  it('takes a job again once the lease of the worker that died with it lapses', async () => {
    const { hash } = await storeAndQueue(await solidImage(400, 300, '#00aa00').jpeg().toBuffer());
    // A worker claims the job with a 1-second lease and dies: no heartbeat, no result.
    const dead = await a.get(RenditionJobsRepository).claim('dead-worker', 1, 3);
    expect(dead?.hash).toBe(hash);
    await expect(b.get(RenditionWorker).processDue()).resolves.toBe(0); // the lease still holds
    await leaseLapsed(hash);

    await expect(b.get(RenditionWorker).processDue()).resolves.toBe(1);

    expect(await job(hash)).toMatchObject({ status: 'ready', attempts: 2, leaseOwner: null });
    expect(await renditionKeysOf(hash)).toHaveLength(2);
  });

  it('records failed when the worker died on the last allowed attempt', async () => {
    const { hash } = await storeAndQueue(await solidImage(120, 90, '#999900').jpeg().toBuffer());
    await a.get(DataSource).query(`UPDATE rendition_jobs SET attempts = 2 WHERE hash = $1`, [hash]);
    await a.get(RenditionJobsRepository).claim('dead-worker', 1, 3); // attempt 3 of 3, then the worker dies
    await leaseLapsed(hash);
    // Lapsed but out of attempts: no claim takes it again, before or after it is recorded as failed.
    await expect(b.get(RenditionJobsRepository).claim('another-worker', 60, 3)).resolves.toBeNull();

    await b.get(RenditionWorker).processDue();

    expect(await job(hash)).toMatchObject({ status: 'failed', attempts: 3 });
    expect((await job(hash)).failureReason).toMatch(/stopped responding/);
    expect(await renditionKeysOf(hash)).toEqual([]);
  });

  it('fences out a worker whose lease was taken over: its objects go to the deletion outbox', async () => {
    const { hash } = await storeAndQueue(await solidImage(500, 500, '#aa00aa').jpeg().toBuffer());
    const held = gate();
    let lateKeys: string[] = [];
    a.get(RenditionWorker).hooks.beforeRecord = async () => {
      lateKeys = (
        await a
          .get(DataSource)
          .query<Array<{ objectKey: string }>>(
            `SELECT object_key AS "objectKey" FROM upload_sessions WHERE object_key LIKE 'renditions/%' ORDER BY 1`,
          )
      ).map((row) => row.objectKey);
      held.arrive();
      await held.opened;
    };
    const late = a.get(RenditionWorker).processDue();
    await held.arrived;
    // a's worker stalls past its lease (its heartbeats stopped reaching the database): b takes the job over.
    await a.get(DataSource).query(`UPDATE rendition_jobs SET lease_expires_at = now() WHERE hash = $1`, [hash]);
    await expect(b.get(RenditionWorker).processDue()).resolves.toBe(1);
    const recorded = await renditionKeysOf(hash);

    held.open();
    await late;

    expect(lateKeys).toHaveLength(2);
    expect(await renditionKeysOf(hash)).toEqual(recorded); // b's renditions stand
    expect(recorded.filter((key) => lateKeys.includes(key))).toEqual([]);
    expect(await queuedDeletions(lateKeys)).toEqual([...lateKeys].sort());
    expect(await claimsLeft()).toBe(0);
    await drainDeletions(a);
    const inBucket = await renditionObjectsInBucket();
    for (const key of lateKeys) expect(inBucket).not.toContain(key);
    for (const key of recorded) expect(inBucket).toContain(key);
  });
});

describe('the content lifecycle', () => {
  it('frees the renditions with their content, through the deletion outbox, and renders a re-upload anew', async () => {
    const bytes = await solidImage(333, 222, '#0055aa').jpeg().toBuffer();
    const { hash, pendingId } = await storeAndQueue(bytes);
    await a.get(RenditionWorker).processDue();
    const keys = await renditionKeysOf(hash);
    expect(keys).toHaveLength(2);
    for (const key of keys) expect(await a.get(ObjectStorage).stat(key)).not.toBeNull();

    // Rejecting the only pending file frees the content (HashCleanupService, under the content lock).
    expect((await reject(a, admin, pendingId)).status).toBe(200);

    expect(await renditionKeysOf(hash)).toEqual([]);
    expect((await service().statusFor([hash])).has(hash)).toBe(false);
    await expectDeletedThroughOutbox(keys);

    const again = await storeAndQueue(bytes);
    expect(again.hash).toBe(hash);
    await a.get(RenditionWorker).processDue();
    const fresh = await renditionKeysOf(hash);
    expect(fresh).toHaveLength(2);
    expect(fresh.filter((key) => keys.includes(key))).toEqual([]); // new keys: a late delete can't hit them
  });

  it('discards what a worker rendered for content freed while it was rendering', async () => {
    const { hash, pendingId } = await storeAndQueue(await solidImage(256, 256, '#777777').jpeg().toBuffer());
    const held = gate();
    let written: string[] = [];
    a.get(RenditionWorker).hooks.beforeRecord = async () => {
      written = (
        await a
          .get(DataSource)
          .query<Array<{ objectKey: string }>>(
            `SELECT object_key AS "objectKey" FROM upload_sessions WHERE object_key LIKE 'renditions/%'`,
          )
      ).map((row) => row.objectKey);
      held.arrive();
      await held.opened;
    };
    const rendering = a.get(RenditionWorker).processDue();
    await held.arrived;
    for (const key of written) expect(await a.get(ObjectStorage).stat(key)).not.toBeNull();

    expect((await reject(a, admin, pendingId)).status).toBe(200);
    held.open();
    await rendering;

    expect(written).toHaveLength(2);
    expect(await renditionKeysOf(hash)).toEqual([]);
    expect(await claimsLeft()).toBe(0);
    await expectDeletedThroughOutbox(written);
  });
});

/**
 * The reject's own background drain may already have carried the deletes out, so the outbox rows may be gone:
 * what must hold is that, once drained, the objects are gone and nothing about them is left queued.
 */
async function expectDeletedThroughOutbox(keys: string[]): Promise<void> {
  await drainDeletions(a);
  expect(await queuedDeletions(keys)).toEqual([]);
  const inBucket = await renditionObjectsInBucket();
  for (const key of keys) {
    expect(inBucket).not.toContain(key);
    expect(await a.get(ObjectStorage).stat(key)).toBeNull();
  }
}

describe('where a render reads its content from', () => {
  /** This process's render scratch directories (the specs' workers run in the Jest process). */
  const scratch = async () =>
    (await readdir(tmpdir())).filter((name) => name.startsWith(`mediavault-render-${process.pid}-`));

  it('keeps a photo in memory and a larger image in a temporary file, and renders both', async () => {
    const photo = await solidImage(1200, 900, '#123456').jpeg().toBuffer();
    // Noise barely compresses: over the 8 MiB kept in memory.
    const large = await sharp({
      create: {
        width: 2200,
        height: 1400,
        channels: 3,
        background: '#000',
        noise: { type: 'gaussian', mean: 128, sigma: 60 },
      },
    })
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(large.length).toBeGreaterThan(8 * 1024 * 1024);
    const scratchWhileRendering = new Map<string, string[]>();
    a.get(RenditionWorker).hooks.rendering = async (job) => void scratchWhileRendering.set(job.hash, await scratch());

    const small = await storeAndQueue(photo, 'photo.jpg');
    await a.get(RenditionWorker).processDue();
    const big = await storeAndQueue(large, 'large.png');
    await a.get(RenditionWorker).processDue();

    expect(scratchWhileRendering.get(small.hash)).toEqual([]);
    expect(scratchWhileRendering.get(big.hash)).toHaveLength(1);
    expect(await scratch()).toEqual([]); // and removed after
    expect((await service().statusFor([small.hash])).get(small.hash)).toMatchObject({
      status: 'ready',
      preview: { width: 1200, height: 900 },
    });
    expect((await service().statusFor([big.hash])).get(big.hash)).toMatchObject({
      status: 'ready',
      preview: { width: 1600, height: 1018 },
    });
  });
});

describe('roles and backfill', () => {
  it('renders in the background with MEDIAVAULT_ROLE=worker, and runs no worker with role api', async () => {
    const worker = await createTestApp({
      databaseUrl: database.url,
      bucket,
      env: { ...WORKER_ENV, MEDIAVAULT_ROLE: 'worker' },
    });
    try {
      expect(a.get(RenditionWorker).running).toBe(false);
      expect(worker.get(RenditionWorker).running).toBe(true);
      // Uploaded through the api instance (a worker serves no API), which queues it; the worker renders it.
      const uploaded = await upload(a, admin, await testVideo(320, 240, 1), 'clip.mp4');

      worker.get(RenditionsService).wake();

      await waitUntil('the job rendered', async () => (await job(uploaded.hash)).status === 'ready', {
        intervalMs: 100,
      });
      expect((await service().statusFor([uploaded.hash])).get(uploaded.hash)).toMatchObject({
        status: 'ready',
        thumbnail: { width: 320, height: 240 },
        mediaInfo: { videoCodec: 'h264', width: 320, height: 240 },
      });
    } finally {
      await worker.close();
    }
  });

  it('finishes and records the job in hand when the application shuts down', async () => {
    const worker = await createTestApp({
      databaseUrl: database.url,
      bucket,
      env: { ...WORKER_ENV, MEDIAVAULT_ROLE: 'worker' },
    });
    const held = gate();
    worker.get(RenditionWorker).hooks.beforeRender = async () => {
      held.arrive();
      await held.opened;
    };
    const { hash } = await upload(a, admin, await solidImage(300, 300, '#c0ffee').png().toBuffer(), 'last.png');
    worker.get(RenditionsService).wake();
    await held.arrived;

    const closing = worker.close();
    held.open();
    await closing;

    expect(await job(hash)).toMatchObject({ status: 'ready', attempts: 1 });
    expect(await renditionKeysOf(hash)).toHaveLength(2);
  });

  it('queues stored contents that were never queued (backfill)', async () => {
    const { hash } = await upload(a, admin, testPdf(2), 'two-pages.pdf');
    await forgetJob(hash);
    expect((await service().statusFor([hash])).has(hash)).toBe(false);

    await expect(service().enqueueMissing()).resolves.toBeGreaterThanOrEqual(1);
    await expect(service().enqueueMissing()).resolves.toBe(0);
    await a.get(RenditionWorker).processDue();

    expect((await service().statusFor([hash])).get(hash)).toMatchObject({
      status: 'ready',
      mediaInfo: { pageCount: 2 },
      preview: { width: 1236, height: 1600 },
    });
  });

  it('renders again for a newer generator version and frees the old renditions through the outbox', async () => {
    const { hash } = await storeAndQueue(await solidImage(640, 360, '#5500aa').jpeg().toBuffer());
    await a.get(RenditionWorker).processDue();
    const old = await renditionKeysOf(hash);

    const requeued = await a.get(RenditionJobsRepository).enqueueMissing(GENERATOR_VERSION + 1);
    expect(requeued).toBeGreaterThanOrEqual(1);
    expect((await job(hash)).status).toBe('pending');
    await a.get(RenditionWorker).processDue();

    const fresh = await a.get(RenditionJobsRepository).renditionsFor(hash);
    expect(fresh.map((row) => row.generatorVersion)).toEqual([GENERATOR_VERSION + 1, GENERATOR_VERSION + 1]);
    expect(fresh.filter((row) => old.includes(row.objectKey))).toEqual([]);
    expect((await service().renditionsFor(hash)).thumbnail?.objectKey).toBe(
      fresh.find((row) => row.kind === 'thumbnail')?.objectKey,
    );
    expect(await queuedDeletions(old)).toEqual([...old].sort());
    await expectDeletedThroughOutbox(old);
  });
});

describe('garbage collection and verification', () => {
  it('collects rendition objects nothing records and no live worker claims, and keeps the rest', async () => {
    const storage = a.get(ObjectStorage);
    const { hash } = await storeAndQueue(await solidImage(200, 150, '#446688').jpeg().toBuffer());
    await a.get(RenditionWorker).processDue();
    const recorded = await renditionKeysOf(hash);
    const put = (key: string) => storage.putStream(key, Readable.from([Buffer.from(key)]));
    // Debris of a worker that died after writing (its claim went stale), of one that died before claiming was
    // committed (no claim), and an object a live worker is about to record.
    const [stale, unclaimed, live] = ['stale', 'unclaimed', 'live'].map((name) => `renditions/gc-${name}.webp`);
    await a.get(RenditionJobsRepository).claimKeys([stale, live]);
    await a
      .get(DataSource)
      .query(`UPDATE upload_sessions SET touched_at = now() - interval '1 day' WHERE object_key = $1`, [stale]);
    for (const key of [stale, unclaimed, live]) await put(key);

    const report = await a.get(RenditionsMaintenance).collectOrphans();

    expect(report).toEqual({ orphanObjectsQueued: 2, staleClaims: 1 });
    expect(await queuedDeletions([stale, unclaimed, live, ...recorded])).toEqual([stale, unclaimed].sort());
    await drainDeletions(a);
    expect(await storage.stat(stale)).toBeNull();
    expect(await storage.stat(unclaimed)).toBeNull();
    expect(await storage.stat(live)).not.toBeNull();
    for (const key of recorded) expect(await storage.stat(key)).not.toBeNull();

    // The live worker gives its object up (as a failed render does): nothing is left.
    await inTransaction(a.get(DataSource), async (runner) => {
      await a.get(RenditionJobsRepository).releaseKeys(runner, [live]);
      await a.get(RenditionJobsRepository).queueDeletions(runner, [live], 'rendition-discarded');
    });
    await drainDeletions(a);
    expect(await storage.stat(live)).toBeNull();
  });

  it('reports recorded renditions whose object is missing, and deletes nothing', async () => {
    const { hash } = await storeAndQueue(await solidImage(220, 150, '#664488').jpeg().toBuffer());
    await a.get(RenditionWorker).processDue();
    const [lost, kept] = await renditionKeysOf(hash);
    await a.get(ObjectStorage).remove(lost);

    const report = await a.get(RenditionsMaintenance).verify();

    expect(report.missing).toBe(1);
    expect(report.missingKeys).toEqual([lost]);
    expect(report.ok).toBe(report.checked - 1);
    expect(await renditionKeysOf(hash)).toEqual([lost, kept]);
    expect(await a.get(ObjectStorage).stat(kept)).not.toBeNull();
    // Put it back by rendering again (the repair a later generate-renditions --repair would do).
    await a.get(RenditionJobsRepository).enqueue(a.get(DataSource), hash, GENERATOR_VERSION + 2);
    await a.get(RenditionWorker).processDue();
    expect((await a.get(RenditionsMaintenance).verify()).missing).toBe(0);
  });
});

describe('I6', () => {
  it('holds once the queue and the deletion outbox have drained', async () => {
    // Time passes: retries scheduled for later (the backoff spec's) come due, and every worker drains the queue.
    await a.get(DataSource).query(`UPDATE rendition_jobs SET next_attempt_at = now() WHERE status = 'pending'`);
    await Promise.all([a.get(RenditionWorker).processDue(), b.get(RenditionWorker).processDue()]);
    await drainDeletions(a);

    const violations = await checkRenditionInvariants({
      dataSource: a.get(DataSource),
      storage: a.get(ObjectStorage),
      quiescent: true,
      drained: true,
    });

    expect(violations).toEqual([]);
    expect(await renditionObjectsInBucket()).not.toEqual([]); // the check had something to look at
  });

  it('reports a rendition object nothing records, and content never queued', async () => {
    await a.get(ObjectStorage).putStream('renditions/stray.webp', Readable.from([Buffer.from('stray')]));
    const { hash } = await upload(a, admin, await solidImage(10, 10, '#010203').png().toBuffer(), 'tiny.png');
    await forgetJob(hash);
    try {
      const violations = await checkRenditionInvariants({
        dataSource: a.get(DataSource),
        storage: a.get(ObjectStorage),
        quiescent: true,
        drained: true,
      });

      expect(violations).toEqual([
        'I6: object renditions/stray.webp belongs to no rendition',
        `I6: content ${hash} was never queued`,
      ]);
    } finally {
      await a.get(ObjectStorage).remove('renditions/stray.webp');
      await service().enqueue(hash);
      await a.get(RenditionWorker).processDue();
    }
  });
});
