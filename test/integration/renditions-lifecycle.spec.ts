import { DataSource } from 'typeorm';
import { RenditionWorker } from '../../src/renditions/rendition-worker.service.js';
import { ObjectStorage } from '../../src/storage/object-storage.js';
import { useTestApp } from '../support/app.js';
import { createMediaFile, upload } from '../support/files.js';
import { cameraJpeg, solidImage } from '../support/media.js';

/**
 * Renditions in the content lifecycle (docs/renditions.md): the steps of HashCleanupService that record content
 * queue its renditions in their own transaction. The app runs as role `api`, so the spec drives the worker with
 * `processDue()`.
 */
const t = useTestApp({ env: { ORPHAN_GRACE_MINUTES: '0', RENDITION_RETRY_SECONDS: '0' } });
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
