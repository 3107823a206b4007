/**
 * Crash points and storage failures, then recovery: a server process killed (SIGKILL) after writing an object
 * and before recording it; storage down while content is freed; storage down during an upload or an approval.
 */
import { DataSource } from 'typeorm';
import { ContentMaintenanceService } from '../../src/file-manager/services/content-maintenance.service.js';
import { StorageDeletionQueue } from '../../src/file-manager/services/storage-deletion-queue.service.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, testAppEnv, useTestApp } from '../support/app.js';
import { startChildApp } from '../support/child-app.js';
import {
  approve,
  content,
  count,
  createMediaFile,
  drainDeletions,
  objectKeys,
  purge,
  reject,
  sha256,
  storedObjectOf,
  trash,
  upload,
} from '../support/files.js';
import { holdNewContent, waitForLockWaiters } from '../support/race.js';
import { useOwnStorage } from '../support/storage-server.js';
import { expectInvariants } from '../support/invariants.js';

describe('a server killed between writing an object and recording it', () => {
  const t = useTestApp({ env: { ORPHAN_GRACE_MINUTES: '0' } });

  it('leaves a claimed object that GC keeps while the claim is live and collects once it is stale', async () => {
    const child = await startChildApp(testAppEnv({ databaseUrl: t.databaseUrl, bucket: t.bucket }));
    try {
      const login = await fetch(`${child.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
      }).then((response) => response.json() as Promise<{ accessToken: string }>);
      const bytes = content();
      const barrier = await holdNewContent(t.databaseUrl, sha256(bytes));
      const form = new FormData();
      form.append('files', new Blob([bytes]), 'doomed.txt');
      const uploading = fetch(`${child.url}/api/uploads`, {
        method: 'POST',
        headers: { authorization: `Bearer ${login.accessToken}` },
        body: form,
      }).catch((error: unknown) => error);
      // The child has written the object and waits inside its recording transaction: kill it there.
      await waitForLockWaiters(t.databaseUrl, 1);
      await child.kill('SIGKILL');
      await barrier.release();
      // The client saw the connection die (fetch rejects with a network error, not an HTTP answer).
      expect(String(await uploading)).toMatch(/fetch failed|terminated|socket/i);

      // Its transaction died with it: nothing recorded, the object is in the bucket with a claim on it.
      expect(await count(t, `SELECT 1 FROM pending_files WHERE hash = $1`, [sha256(bytes)])).toBe(0);
      expect(await count(t, `SELECT 1 FROM stored_objects WHERE hash = $1`, [sha256(bytes)])).toBe(0);
      const debris = await objectKeys(t);
      expect(debris).toHaveLength(1);
      expect(await count(t, `SELECT 1 FROM upload_sessions WHERE object_key = $1`, [debris[0]])).toBe(1);

      // Recovery: while the claim looks live (the process could be a slow upload), GC keeps the object...
      const gc = t.get(ContentMaintenanceService);
      expect((await gc.collectGarbage()).orphanObjectsQueued).toBe(0);
      expect(await objectKeys(t)).toEqual(debris);
      // ...and once the claim is stale (no heartbeat: its process is gone), GC collects it.
      await t.get(DataSource).query(`UPDATE upload_sessions SET touched_at = now() - interval '1 day'`);
      const report = await gc.collectGarbage();
      expect(report).toMatchObject({ orphanObjectsQueued: 1, staleUploadSessions: 1, objectsDeleted: 1 });
      expect(await objectKeys(t)).toEqual([]);
      expect(await count(t, `SELECT 1 FROM upload_sessions`)).toBe(0);

      // The same content uploads normally afterwards.
      const again = await upload(t, await t.adminAuth(), bytes);
      expect(again.status).toBe('pending');
      await expectInvariants(t);
    } finally {
      await child.kill();
    }
  });
});

describe('storage failing', () => {
  let admin: string;

  const storage = useOwnStorage();
  const t = useTestApp({ env: () => ({ ...storage.env(), ORPHAN_GRACE_MINUTES: '0' }) });
  beforeAll(async () => {
    admin = await t.adminAuth();
  });

  /**
   * Pretends the retry backoff has elapsed. Waits first for a background drain still carrying out a lease: its
   * failure would otherwise set the row's next attempt again after this update (the drain holds no row lock).
   */
  const makeDeletionsDue = async () => {
    await t.get(StorageDeletionQueue).settled();
    await t.get(DataSource).query(`UPDATE storage_deletions SET next_attempt_at = now()`);
  };

  it('on delete: the purge and the reject commit, and the objects are deleted once storage is back', async () => {
    const file = await createMediaFile(t, admin);
    const fileObject = await storedObjectOf(t, file.hash);
    const pending = await upload(t, admin, content());
    const pendingObject = await storedObjectOf(t, pending.hash);
    await trash(t, admin, file.mediaId);

    await storage.stop();
    expect((await purge(t, admin, file.mediaId)).status).toBe(204);
    expect((await reject(t, admin, pending.pendingFile!.id)).status).toBe(200);
    await drainDeletions(t);
    const queued = await t
      .get(DataSource)
      .query<Array<{ object_key: string; attempts: number }>>(
        `SELECT object_key, attempts, last_error FROM storage_deletions ORDER BY id`,
      );
    expect(queued.map((row) => row.object_key).sort()).toEqual(
      [fileObject!.objectKey, pendingObject!.objectKey].sort(),
    );
    expect(queued.every((row) => row.attempts >= 1)).toBe(true);

    await storage.restart();
    await makeDeletionsDue();
    const report = await t.get(ContentMaintenanceService).collectGarbage();
    expect(report.objectsDeleted).toBe(2);
    expect(await count(t, `SELECT 1 FROM storage_deletions`)).toBe(0);
    await expectInvariants(t);
  });

  it('during an upload: 503 STORAGE_UNAVAILABLE and no record', async () => {
    await storage.stop();
    try {
      const bytes = content();
      const response = await t.http.post('/api/uploads').set('Authorization', admin).attach('files', bytes, 'x.txt');
      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({ statusCode: 503, code: 'STORAGE_UNAVAILABLE' });
      expect(JSON.stringify(response.body)).not.toMatch(/objects\/|mv-test|127\.0\.0\.1/);
      expect(await count(t, `SELECT 1 FROM pending_files WHERE hash = $1`, [sha256(bytes)])).toBe(0);
      expect(await count(t, `SELECT 1 FROM upload_sessions`)).toBe(0);
    } finally {
      await storage.restart();
    }
    await makeDeletionsDue();
    await t.get(ContentMaintenanceService).collectGarbage();
    await expectInvariants(t);
  });

  it('during an upload of several files: 503, and the server survives the parts it never read', async () => {
    await storage.stop();
    try {
      // The first part fails on storage; the request is abandoned while the next parts are still unread. Their
      // streams then error ("unexpected end"): that must not be an unhandled error that kills the process.
      const response = await t.http
        .post('/api/uploads')
        .set('Authorization', admin)
        .attach('files', content(), 'one.txt')
        .attach('files', Buffer.alloc(8 * 1024 * 1024, 'a'), 'two.txt')
        .attach('files', Buffer.alloc(8 * 1024 * 1024, 'b'), 'three.txt');
      expect(response.status).toBe(503);
      expect(response.body.code).toBe('STORAGE_UNAVAILABLE');
    } finally {
      await storage.restart();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await t.http.get('/api/health')).status).toBe(200);
    expect(await count(t, `SELECT 1 FROM upload_sessions`)).toBe(0);
  });

  it('during an approval: 503, and the trashed file and the pending file stay as they were', async () => {
    const bytes = content();
    const file = await createMediaFile(t, admin, bytes);
    await trash(t, admin, file.mediaId);
    const again = await upload(t, admin, bytes);
    await storage.stop();
    try {
      const response = await approve(t, admin, again.pendingFile!.id, { title: 'Never' });
      expect(response.status).toBe(503);
      expect(response.body.code).toBe('STORAGE_UNAVAILABLE');
    } finally {
      await storage.restart();
    }
    const rows = await t.get(DataSource).query(`SELECT id, deleted_at FROM media_files WHERE hash = $1`, [file.hash]);
    expect(rows).toEqual([{ id: file.mediaId, deleted_at: expect.any(Date) }]);
    expect((await t.http.get(`/api/pending/${again.pendingFile!.id}`).set('Authorization', admin)).body.status).toBe(
      'pending',
    );
    expect((await approve(t, admin, again.pendingFile!.id, { title: 'Now' })).status).toBe(201);
  });
});
