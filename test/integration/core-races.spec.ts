/**
 * Races between requests, each forced in both orders with a lock barrier (see test/support/race.ts): the
 * operations queue on the content lock, the barrier is released, PostgreSQL grants the lock first come first
 * served. The assertions check the outcome of each order and the invariants on the bucket.
 */
import { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import { ObjectStorage } from '../../src/storage/object-storage.js';
import { HashCleanupService } from '../../src/file-manager/services/hash-cleanup.service.js';
import { UploadSessionsService } from '../../src/file-manager/services/upload-sessions.service.js';
import { ContentMaintenanceService } from '../../src/file-manager/services/content-maintenance.service.js';
import { expectInvariants } from '../support/invariants.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import {
  approve,
  content,
  count,
  createMediaFile,
  purge,
  reject,
  restore,
  sha256,
  storedObjectOf,
  trash,
  upload,
} from '../support/files.js';
import { holdContentLock, holdNewContent, holdUploadSession, runInOrder, waitForLockWaiters } from '../support/race.js';

describe('races on one content, forced in both orders', () => {
  let database: TestDatabase;
  let t: TestApp;
  let admin: string;
  let member: { id: string; auth: string };

  beforeAll(async () => {
    database = await createTestDatabase();
    t = await createTestApp({ databaseUrl: database.url, env: { ORPHAN_GRACE_MINUTES: '0' } });
    admin = await t.adminAuth();
    member = await t.createUser('member');
  });
  afterAll(async () => {
    await t?.close();
    await database?.drop();
  });

  const uploadRequest = (auth: string, bytes: Buffer, name = 'f.txt') => () =>
    t.http.post('/api/uploads').set('Authorization', auth).attach('files', bytes, name).then((r) => r);

  const storedUpload = (bytes: Buffer, objectKey: string) => ({
    hash: sha256(bytes),
    size: bytes.length,
    objectKey,
    originalFilename: 'late.txt',
    contentType: 'text/plain',
    fileType: 'document' as const,
    width: null,
    height: null,
    folderPath: '',
    uploadedById: member.id,
  });

  describe('two uploads of one content', () => {
    it('new content: one pending file, one stored object, whichever wins', async () => {
      const bytes = content();
      const barrier = await holdNewContent(database.url, sha256(bytes));
      const [a, b] = await runInOrder(database.url, barrier, uploadRequest(admin, bytes, 'a.txt'), uploadRequest(member.auth, bytes, 'b.txt'));
      expect([a.status, b.status]).toEqual([201, 201]);
      const statuses = [a.body.results[0].status, b.body.results[0].status].sort();
      expect(statuses).toEqual(['pending', 'pending_updated']);
      expect(a.body.results[0].pendingFile.id).toBe(b.body.results[0].pendingFile.id);
      expect(await count(t, `SELECT 1 FROM pending_files WHERE hash = $1`, [sha256(bytes)])).toBe(1);
      await expectInvariants(t);
    });

    it.each([
      ['admin first', true],
      ['member first', false],
    ])('stored content (%s): the later upload is the one recorded', async (_, adminFirst) => {
      const bytes = content();
      const first = await upload(t, admin, bytes, 'original.txt');
      const barrier = await holdContentLock(database.url, first.hash);
      const [winner, loser] = adminFirst ? [admin, member.auth] : [member.auth, admin];
      const [a, b] = await runInOrder(database.url, barrier, uploadRequest(winner, bytes, 'one.txt'), uploadRequest(loser, bytes, 'two.txt'));
      expect(a.body.results[0].status).toBe('pending_updated');
      expect(b.body.results[0].status).toBe('pending_updated');
      const pending = await t.http.get(`/api/pending/${first.pendingFile!.id}`).set('Authorization', admin);
      // Serialized on the content lock: the second one's update is the last word.
      expect(pending.body.originalFilename).toBe('two.txt');
      expect(pending.body.uploadedBy.id).toBe(adminFirst ? member.id : (await t.get(DataSource).query(`SELECT id FROM users WHERE email = 'admin@test.local'`))[0].id);
      await expectInvariants(t);
    });
  });

  it.each([['A first'], ['B first']])('two approvals of one pending file (%s): exactly one wins', async (order) => {
    const pending = await upload(t, admin, content());
    const barrier = await holdContentLock(database.url, pending.hash);
    const approveAs = (title: string) => () => approve(t, admin, pending.pendingFile!.id, { title }).then((r) => r);
    const [first, second] =
      order === 'A first'
        ? await runInOrder(database.url, barrier, approveAs('A'), approveAs('B'))
        : await runInOrder(database.url, barrier, approveAs('B'), approveAs('A'));
    expect(first.status).toBe(201);
    expect(second.status).toBe(409);
    expect(second.body.code).toBe('NOT_PENDING');
    expect(first.body.mediaFile.title).toBe(order === 'A first' ? 'A' : 'B');
    expect(await count(t, `SELECT 1 FROM media_files WHERE hash = $1`, [pending.hash])).toBe(1);
  });

  describe('approve vs reject', () => {
    it('approve first: approved, the reject is refused, content kept', async () => {
      const pending = await upload(t, admin, content());
      const barrier = await holdContentLock(database.url, pending.hash);
      const [approved, rejected] = await runInOrder(
        database.url,
        barrier,
        () => approve(t, admin, pending.pendingFile!.id).then((r) => r),
        () => reject(t, admin, pending.pendingFile!.id).then((r) => r),
      );
      expect(approved.status).toBe(201);
      expect(rejected.status).toBe(409);
      expect(rejected.body.code).toBe('NOT_PENDING');
      expect(await storedObjectOf(t, pending.hash)).toBeDefined();
      await expectInvariants(t);
    });

    it('reject first: rejected, the approval is refused, content removed', async () => {
      const pending = await upload(t, admin, content());
      const barrier = await holdContentLock(database.url, pending.hash);
      const [rejected, approved] = await runInOrder(
        database.url,
        barrier,
        () => reject(t, admin, pending.pendingFile!.id).then((r) => r),
        () => approve(t, admin, pending.pendingFile!.id).then((r) => r),
      );
      expect(rejected.status).toBe(200);
      expect(approved.status).toBe(409);
      expect(approved.body.code).toBe('NOT_PENDING');
      expect(await count(t, `SELECT 1 FROM media_files WHERE hash = $1`, [pending.hash])).toBe(0);
      expect(await storedObjectOf(t, pending.hash)).toBeUndefined();
      await expectInvariants(t);
    });
  });

  describe('purge vs re-upload', () => {
    it('purge first: the content is freed, then stored again by the upload (new object)', async () => {
      const file = await createMediaFile(t, admin);
      await trash(t, admin, file.mediaId);
      const before = await storedObjectOf(t, file.hash);
      const barrier = await holdContentLock(database.url, file.hash);
      const [purged, uploaded] = await runInOrder(
        database.url,
        barrier,
        () => purge(t, admin, file.mediaId).then((r) => r),
        uploadRequest(member.auth, file.bytes),
      );
      expect(purged.status).toBe(204);
      expect(uploaded.body.results[0].status).toBe('pending_updated');
      const after = await storedObjectOf(t, file.hash);
      expect(after).toBeDefined();
      expect(after!.objectKey).not.toBe(before!.objectKey);
      await expectInvariants(t);
    });

    it('upload first: the pending file needs the content, the purge keeps it (same object)', async () => {
      const file = await createMediaFile(t, admin);
      await trash(t, admin, file.mediaId);
      const before = await storedObjectOf(t, file.hash);
      const barrier = await holdContentLock(database.url, file.hash);
      const [uploaded, purged] = await runInOrder(
        database.url,
        barrier,
        uploadRequest(member.auth, file.bytes),
        () => purge(t, admin, file.mediaId).then((r) => r),
      );
      expect(uploaded.body.results[0].status).toBe('pending_updated');
      expect(purged.status).toBe(204);
      expect(await storedObjectOf(t, file.hash)).toEqual(before);
      await expectInvariants(t);
    });
  });

  describe('purge vs restore', () => {
    it('purge first: the restore finds nothing (404), the content is freed', async () => {
      const file = await createMediaFile(t, admin);
      await trash(t, admin, file.mediaId);
      const barrier = await holdContentLock(database.url, file.hash);
      const [purged, restored] = await runInOrder(
        database.url,
        barrier,
        () => purge(t, admin, file.mediaId).then((r) => r),
        () => restore(t, admin, file.mediaId).then((r) => r),
      );
      expect(purged.status).toBe(204);
      expect(restored.status).toBe(404);
      expect(await storedObjectOf(t, file.hash)).toBeUndefined();
      await expectInvariants(t);
    });

    it('restore first: the purge finds nothing in the trash (404), the file and its content stay', async () => {
      const file = await createMediaFile(t, admin);
      await trash(t, admin, file.mediaId);
      const barrier = await holdContentLock(database.url, file.hash);
      const [restored, purged] = await runInOrder(
        database.url,
        barrier,
        () => restore(t, admin, file.mediaId).then((r) => r),
        () => purge(t, admin, file.mediaId).then((r) => r),
      );
      expect(restored.status).toBe(200);
      expect(purged.status).toBe(404);
      expect((await t.http.get(`/api/files/${file.mediaId}`).set('Authorization', admin)).status).not.toBe(500);
      expect(await storedObjectOf(t, file.hash)).toBeDefined();
      await expectInvariants(t);
    });
  });

  describe('garbage collection vs upload', () => {
    it('GC while the upload is recording: GC waits for the commit, then sees the reference and keeps the object', async () => {
      const bytes = content();
      const barrier = await holdNewContent(database.url, sha256(bytes));
      // The upload stops inside its recording transaction, after it took back its claim (row lock held).
      const uploading = uploadRequest(member.auth, bytes)();
      await waitForLockWaiters(database.url, 1);
      const gc = t.get(ContentMaintenanceService).collectGarbage();
      await waitForLockWaiters(database.url, 2);
      await barrier.release();
      const [uploaded, report] = await Promise.all([uploading, gc]);
      expect(uploaded.body.results[0].status).toBe('pending');
      expect(report.orphanObjectsQueued).toBe(0);
      await expectInvariants(t);
      expect(await storedObjectOf(t, sha256(bytes))).toBeDefined();
    });

    it('GC before the upload records: a live claim protects the object, the upload then records it', async () => {
      const bytes = content();
      const sessions = t.get(UploadSessionsService);
      const session = await sessions.open();
      await t.get(ObjectStorage).putStream(session.objectKey, Readable.from([bytes]));
      const report = await t.get(ContentMaintenanceService).collectGarbage();
      expect(report.orphanObjectsQueued).toBe(0);
      const outcome = await t.get(HashCleanupService).recordUpload({
        hash: sha256(bytes),
        size: bytes.length,
        objectKey: session.objectKey,
        originalFilename: 'late.txt',
        contentType: 'text/plain',
        fileType: 'document',
        width: null,
        height: null,
        folderPath: '',
        uploadedById: member.id,
      });
      session.close();
      expect(outcome.status).toBe('pending');
      await expectInvariants(t);
    });

    it('GC and an upload queued on the claim: the upload records first, GC then keeps the object', async () => {
      const bytes = content();
      const session = await t.get(UploadSessionsService).open();
      await t.get(ObjectStorage).putStream(session.objectKey, Readable.from([bytes]));
      const barrier = await holdUploadSession(database.url, session.objectKey);
      const [outcome, report] = await runInOrder(
        database.url,
        barrier,
        () => t.get(HashCleanupService).recordUpload(storedUpload(bytes, session.objectKey)),
        () => t.get(ContentMaintenanceService).collectGarbage(),
      );
      session.close();
      expect(outcome.status).toBe('pending');
      expect(report.orphanObjectsQueued).toBe(0);
      await expectInvariants(t);
    });

    it('GC and an upload queued on the claim: GC judges first, sees a live claim, the upload records after', async () => {
      const bytes = content();
      const session = await t.get(UploadSessionsService).open();
      await t.get(ObjectStorage).putStream(session.objectKey, Readable.from([bytes]));
      const barrier = await holdUploadSession(database.url, session.objectKey);
      const [report, outcome] = await runInOrder(
        database.url,
        barrier,
        () => t.get(ContentMaintenanceService).collectGarbage(),
        () => t.get(HashCleanupService).recordUpload(storedUpload(bytes, session.objectKey)),
      );
      session.close();
      expect(report.orphanObjectsQueued).toBe(0);
      expect(outcome.status).toBe('pending');
      await expectInvariants(t);
    });

    it('a claim gone stale (its process stalled or died) is collected, and its upload then records nothing', async () => {
      const bytes = content();
      const session = await t.get(UploadSessionsService).open();
      session.close();
      await t.get(ObjectStorage).putStream(session.objectKey, Readable.from([bytes]));
      await t.get(DataSource).query(`UPDATE upload_sessions SET touched_at = now() - interval '1 day' WHERE object_key = $1`, [
        session.objectKey,
      ]);
      const report = await t.get(ContentMaintenanceService).collectGarbage();
      expect(report.orphanObjectsQueued).toBe(1);
      expect(report.staleUploadSessions).toBe(1);
      await expect(
        t.get(HashCleanupService).recordUpload({
          hash: sha256(bytes),
          size: bytes.length,
          objectKey: session.objectKey,
          originalFilename: 'stalled.txt',
          contentType: 'text/plain',
          fileType: 'document',
          width: null,
          height: null,
          folderPath: '',
          uploadedById: member.id,
        }),
      ).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      expect(await count(t, `SELECT 1 FROM pending_files WHERE hash = $1`, [sha256(bytes)])).toBe(0);
      await expectInvariants(t);
    });
  });
});
