/**
 * Races between rendering and the content lifecycle, forced in both orders with database locks (test/support/race.ts):
 * a worker holds at its last step (objects written and claimed, not recorded yet) while a purge or garbage collection
 * runs. Whatever the order, nothing leaks and nothing recorded is lost (I1–I6).
 */
import { jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ContentMaintenanceService } from '../../src/file-manager/services/content-maintenance.service.js';
import { StorageDeletionQueue } from '../../src/file-manager/services/storage-deletion-queue.service.js';
import { RenditionWorker } from '../../src/renditions/rendition-worker.service.js';
import { ObjectStorage } from '../../src/storage/object-storage.js';
import { useTestApp } from '../support/app.js';
import { createMediaFile, drainDeletions, purge, trash, upload } from '../support/files.js';
import { expectInvariants } from '../support/invariants.js';
import { solidPng } from '../support/media.js';
import { bothOrders, holdContentAdvisoryLock, holdUploadSessions, raceInOrder } from '../support/race.js';

const t = useTestApp({ env: { ORPHAN_GRACE_MINUTES: '0' } });
let admin: string;
let shade = 0;
/** A small picture of its own per call. */
const picture = () => solidPng(20, [shade++ % 256, 90, 160]);

beforeAll(async () => (admin = await t.adminAuth()));

afterEach(() => {
  jest.restoreAllMocks();
  delete t.get(RenditionWorker).hooks.beforeRecord;
});

/**
 * Starts rendering everything queued and holds the worker once it has written and claimed its renditions of
 * `hash`; answers the keys it wrote and a `record` that lets it go on and answers when it is done.
 */
async function renderUpToRecording(hash: string): Promise<{ keys: string[]; record: () => Promise<number> }> {
  let arrive!: () => void;
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  t.get(RenditionWorker).hooks.beforeRecord = async (job) => {
    if (job.hash !== hash) return;
    arrive();
    await opened;
  };
  const rendering = t.get(RenditionWorker).processDue();
  await arrived;
  const keys = (
    await t
      .get(DataSource)
      .query<Array<{ key: string }>>(
        `SELECT object_key AS key FROM upload_sessions WHERE object_key LIKE 'renditions/%' ORDER BY 1`,
      )
  ).map((row) => row.key);
  expect(keys).toHaveLength(2);
  return {
    keys,
    record: () => {
      open();
      return rendering;
    },
  };
}

async function exists(key: string): Promise<boolean> {
  return (await t.get(ObjectStorage).stat(key)) !== null;
}

async function recordedKeys(hash: string): Promise<string[]> {
  const rows = await t
    .get(DataSource)
    .query<Array<{ key: string }>>(`SELECT object_key AS key FROM renditions WHERE hash = $1 ORDER BY 1`, [hash]);
  return rows.map((row) => row.key);
}

describe('purge while rendering', () => {
  it.each(bothOrders('purge', 'record'))(
    '%s first, then %s: the renditions go through the outbox, nothing leaks',
    async (first, second) => {
      await t.get(RenditionWorker).processDue(); // nothing else queued: the worker renders only this content
      const file = await createMediaFile(t, admin, picture());
      expect((await trash(t, admin, file.mediaId)).status).toBe(204);
      const rendering = await renderUpToRecording(file.hash);
      // Hold the outbox's background drain, to see which transaction queued the deletes.
      jest.spyOn(t.get(StorageDeletionQueue), 'drainSoon').mockImplementation(() => undefined);
      const barrier = await holdContentAdvisoryLock(t.databaseUrl, file.hash);

      const outcome = await raceInOrder(
        t.databaseUrl,
        barrier,
        { purge: () => purge(t, admin, file.mediaId), record: rendering.record },
        [first, second],
      );

      expect(outcome.purge.status).toBe(204);
      expect(outcome.record).toBe(1);
      const queued = await t
        .get(DataSource)
        .query<Array<{ key: string; reason: string }>>(
          `SELECT object_key AS key, reason FROM storage_deletions WHERE object_key = ANY($1) ORDER BY 1`,
          [rendering.keys],
        );
      // Purged first: the worker finds the content gone and discards what it wrote. Recorded first: the purge
      // frees the recorded renditions with the content.
      const reason = first === 'purge' ? 'rendition-discarded' : 'rendition-released';
      expect(queued).toEqual(rendering.keys.map((key) => ({ key, reason })));
      expect(await recordedKeys(file.hash)).toEqual([]);
      jest.restoreAllMocks();
      await drainDeletions(t);
      for (const key of rendering.keys) expect(await exists(key)).toBe(false);
      await expectInvariants(t);
    },
  );
});

describe('garbage collection while rendering', () => {
  it.each(bothOrders('collect', 'record'))(
    '%s first, then %s: GC leaves the objects of a live claim, the worker records them',
    async (first, second) => {
      await t.get(RenditionWorker).processDue();
      const uploaded = await upload(t, admin, picture(), 'picture.png');
      const rendering = await renderUpToRecording(uploaded.hash);
      const barrier = await holdUploadSessions(t.databaseUrl, rendering.keys);

      const outcome = await raceInOrder(
        t.databaseUrl,
        barrier,
        { collect: () => t.get(ContentMaintenanceService).collectGarbage(), record: rendering.record },
        [first, second],
      );

      expect(outcome.collect.orphanRenditionsQueued).toBe(0);
      expect(outcome.record).toBe(1);
      expect(await recordedKeys(uploaded.hash)).toEqual(rendering.keys);
      for (const key of rendering.keys) expect(await exists(key)).toBe(true);
      await expectInvariants(t);
      for (const key of rendering.keys) expect(await exists(key)).toBe(true); // and a later GC keeps them too
    },
  );
});
