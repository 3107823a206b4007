/**
 * Races between requests, each forced in both orders with a lock barrier (see test/support/race.ts): the
 * operations queue on the content lock, the barrier is released, PostgreSQL grants the lock first come first
 * served. The assertions check the outcome of each order and the invariants on the bucket.
 */
import { jest } from '@jest/globals';
import { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import { ObjectStorage } from '../../src/storage/object-storage.js';
import { MediaFileViewsRepository } from '../../src/file-manager/repositories/media-file-views.repository.js';
import { HashCleanupService } from '../../src/file-manager/services/hash-cleanup.service.js';
import { UploadSessionsService } from '../../src/file-manager/services/upload-sessions.service.js';
import { ContentMaintenanceService } from '../../src/file-manager/services/content-maintenance.service.js';
import { expectInvariants } from '../support/invariants.js';
import { useTestApp } from '../support/app.js';
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
import {
  bothOrders,
  holdContentLock,
  holdNewContent,
  holdUploadSession,
  raceInOrder,
  runInOrder,
  waitForLockWaiters,
} from '../support/race.js';

describe('races on one content, forced in both orders', () => {
  let admin: string;
  let adminId: string;
  let member: { id: string; auth: string };

  const t = useTestApp({ env: { ORPHAN_GRACE_MINUTES: '0' } });

  beforeAll(async () => {
    admin = await t.adminAuth();
    adminId = (await t.http.get('/api/auth/me').set('Authorization', admin)).body.id;
    member = await t.createUser('member');
  });

  const uploadRequest =
    (auth: string, bytes: Buffer, name = 'f.txt') =>
    () =>
      t.http.post('/api/uploads').set('Authorization', auth).attach('files', bytes, name);

  /** What an upload that stored `bytes` under `objectKey` asks HashCleanupService to record. */
  const storedUpload = (bytes: Buffer, objectKey: string, originalFilename = 'late.txt') => ({
    hash: sha256(bytes),
    size: bytes.length,
    objectKey,
    originalFilename,
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
      const barrier = await holdNewContent(t.databaseUrl, sha256(bytes));
      const [a, b] = await runInOrder(
        t.databaseUrl,
        barrier,
        uploadRequest(admin, bytes, 'a.txt'),
        uploadRequest(member.auth, bytes, 'b.txt'),
      );
      expect([a.status, b.status]).toEqual([201, 201]);
      const statuses = [a.body.results[0].status, b.body.results[0].status].sort();
      expect(statuses).toEqual(['pending', 'pending_updated']);
      expect(a.body.results[0].pendingFile.id).toBe(b.body.results[0].pendingFile.id);
      expect(await count(t, `SELECT 1 FROM pending_files WHERE hash = $1`, [sha256(bytes)])).toBe(1);
      // Both are uploaders, whichever created the record; the one that did is `uploadedBy`.
      const pending = await t.http.get(`/api/pending/${a.body.results[0].pendingFile.id}`).set('Authorization', admin);
      const creator = a.body.results[0].status === 'pending' ? adminId : member.id;
      expect(pending.body.uploadedBy.id).toBe(creator);
      expect(pending.body.uploaders.map((uploader: { id: string }) => uploader.id)).toEqual([
        creator,
        creator === adminId ? member.id : adminId,
      ]);
      await expectInvariants(t);
    });

    it.each(bothOrders('admin', 'member'))(
      'stored content (%s first): the later upload is the one recorded',
      async (first, second) => {
        const bytes = content();
        const original = await upload(t, admin, bytes, 'original.txt');
        const barrier = await holdContentLock(t.databaseUrl, original.hash);
        const uploaders = { admin: { auth: admin, id: adminId }, member };
        const [a, b] = await runInOrder(
          t.databaseUrl,
          barrier,
          uploadRequest(uploaders[first].auth, bytes, 'one.txt'),
          uploadRequest(uploaders[second].auth, bytes, 'two.txt'),
        );
        expect(a.body.results[0].status).toBe('pending_updated');
        expect(b.body.results[0].status).toBe('pending_updated');
        const pending = await t.http.get(`/api/pending/${original.pendingFile!.id}`).set('Authorization', admin);
        // Serialized on the content lock: the second one's update is the last word on the facts; the record stays
        // its first uploader's, and every member who uploaded it is one of its uploaders, once, in upload order.
        expect(pending.body.originalFilename).toBe('two.txt');
        expect(pending.body.uploadedBy.id).toBe(adminId);
        expect(pending.body.uploaders.map((uploader: { id: string }) => uploader.id)).toEqual([adminId, member.id]);
        await expectInvariants(t);
      },
    );
  });

  it.each(bothOrders('A', 'B'))(
    'two approvals of one pending file (%s first): exactly one wins',
    async (first, second) => {
      const pending = await upload(t, admin, content());
      const barrier = await holdContentLock(t.databaseUrl, pending.hash);
      const approveAs = (title: string) => () => approve(t, admin, pending.pendingFile!.id, { title });
      const [won, lost] = await runInOrder(t.databaseUrl, barrier, approveAs(first), approveAs(second));
      expect(won.status).toBe(201);
      expect(lost.status).toBe(409);
      expect(lost.body.code).toBe('NOT_PENDING');
      expect(won.body.mediaFile.title).toBe(first);
      expect(await count(t, `SELECT 1 FROM media_files WHERE hash = $1`, [pending.hash])).toBe(1);
    },
  );

  describe('approve vs reject', () => {
    const winner = {
      approve: { status: 201, mediaFiles: 1, contentKept: true },
      reject: { status: 200, mediaFiles: 0, contentKept: false },
    };

    it.each(bothOrders('approve', 'reject'))(
      '%s first: it wins, the %s is refused, the content follows',
      async (first, second) => {
        const pending = await upload(t, admin, content());
        const id = pending.pendingFile!.id;
        const barrier = await holdContentLock(t.databaseUrl, pending.hash);
        const outcome = await raceInOrder(
          t.databaseUrl,
          barrier,
          { approve: () => approve(t, admin, id), reject: () => reject(t, admin, id) },
          [first, second],
        );
        expect(outcome[first].status).toBe(winner[first].status);
        expect(outcome[second].status).toBe(409);
        expect(outcome[second].body.code).toBe('NOT_PENDING');
        expect(await count(t, `SELECT 1 FROM media_files WHERE hash = $1`, [pending.hash])).toBe(
          winner[first].mediaFiles,
        );
        expect((await storedObjectOf(t, pending.hash)) !== undefined).toBe(winner[first].contentKept);
        await expectInvariants(t);
      },
    );
  });

  describe('purge vs re-upload', () => {
    // Purge first frees the content, then the upload stores it again (a new object); upload first makes the pending
    // file need the content, so the purge keeps it (the same object).
    const sameObject = { purge: false, upload: true };

    it.each(bothOrders('purge', 'upload'))(
      '%s first, then %s: the re-uploaded content is kept',
      async (first, second) => {
        const file = await createMediaFile(t, admin);
        await trash(t, admin, file.mediaId);
        const before = await storedObjectOf(t, file.hash);
        const barrier = await holdContentLock(t.databaseUrl, file.hash);
        const outcome = await raceInOrder(
          t.databaseUrl,
          barrier,
          { purge: () => purge(t, admin, file.mediaId), upload: uploadRequest(member.auth, file.bytes) },
          [first, second],
        );
        expect(outcome.purge.status).toBe(204);
        expect(outcome.upload.body.results[0].status).toBe('pending_updated');
        const after = await storedObjectOf(t, file.hash);
        expect(after).toBeDefined();
        expect(after!.objectKey === before!.objectKey).toBe(sameObject[first]);
        await expectInvariants(t);
      },
    );
  });

  describe('purge vs restore', () => {
    // The loser finds nothing: a purged file cannot be restored, a restored one is no longer in the trash.
    const winner = {
      purge: { purge: 204, restore: 404, detail: 404, contentKept: false },
      restore: { purge: 404, restore: 200, detail: 200, contentKept: true },
    };

    it.each(bothOrders('purge', 'restore'))('%s first: it wins, the %s answers 404', async (first, second) => {
      const file = await createMediaFile(t, admin);
      await trash(t, admin, file.mediaId);
      const barrier = await holdContentLock(t.databaseUrl, file.hash);
      const outcome = await raceInOrder(
        t.databaseUrl,
        barrier,
        { purge: () => purge(t, admin, file.mediaId), restore: () => restore(t, admin, file.mediaId) },
        [first, second],
      );
      const detail = await t.http.get(`/api/files/${file.mediaId}`).set('Authorization', admin);
      expect({ purge: outcome.purge.status, restore: outcome.restore.status, detail: detail.status }).toEqual({
        purge: winner[first].purge,
        restore: winner[first].restore,
        detail: winner[first].detail,
      });
      expect((await storedObjectOf(t, file.hash)) !== undefined).toBe(winner[first].contentKept);
      await expectInvariants(t);
    });
  });

  describe('restore vs trash', () => {
    // A restore answers the file as its commit left it. Its answer used to be read after the commit, so a trash
    // committed in between turned a successful restore into a 404.
    it('a trash sent while the restore reads its answer: the restore still answers the restored file', async () => {
      const file = await createMediaFile(t, admin);
      await trash(t, admin, file.mediaId);
      const views = t.get(MediaFileViewsRepository);
      const findActive = views.findActive.bind(views);
      let trashing: Promise<{ status: number }> | undefined;
      const spy = jest.spyOn(views, 'findActive').mockImplementationOnce(async (...args) => {
        // The trash either completes at once (nothing holds the file) or waits for the restore's row lock.
        trashing = Promise.resolve(trash(t, admin, file.mediaId));
        await Promise.race([trashing, waitForLockWaiters(t.databaseUrl, 1)]);
        return findActive(...args);
      });
      try {
        const restored = await restore(t, admin, file.mediaId);
        expect(restored.status).toBe(200);
        expect(restored.body.id).toBe(file.mediaId);
        // Sent before the restore committed, the trash found the file still in the trash.
        expect((await trashing)?.status).toBe(404);
      } finally {
        spy.mockRestore();
      }
      const detail = await t.http.get(`/api/files/${file.mediaId}`).set('Authorization', admin);
      expect(detail.status).toBe(200);
      await expectInvariants(t);
    });
  });

  describe('garbage collection vs upload', () => {
    it('GC while the upload records: it waits for the commit, sees the reference and keeps the object', async () => {
      const bytes = content();
      const barrier = await holdNewContent(t.databaseUrl, sha256(bytes));
      // The upload stops inside its recording transaction, after it took back its claim (row lock held).
      // A supertest request is only sent once something subscribes to it: Promise.resolve does, now.
      const uploading = Promise.resolve(uploadRequest(member.auth, bytes)());
      await waitForLockWaiters(t.databaseUrl, 1);
      const gc = t.get(ContentMaintenanceService).collectGarbage();
      await waitForLockWaiters(t.databaseUrl, 2);
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
      const outcome = await t.get(HashCleanupService).recordUpload(storedUpload(bytes, session.objectKey));
      session.close();
      expect(outcome.status).toBe('pending');
      await expectInvariants(t);
    });

    it.each(bothOrders('record', 'collect'))(
      'GC and an upload queued on the claim (%s first, then %s): the claim protects the object, the upload records it',
      async (first, second) => {
        const bytes = content();
        const session = await t.get(UploadSessionsService).open();
        await t.get(ObjectStorage).putStream(session.objectKey, Readable.from([bytes]));
        const barrier = await holdUploadSession(t.databaseUrl, session.objectKey);
        const outcome = await raceInOrder(
          t.databaseUrl,
          barrier,
          {
            record: () => t.get(HashCleanupService).recordUpload(storedUpload(bytes, session.objectKey)),
            collect: () => t.get(ContentMaintenanceService).collectGarbage(),
          },
          [first, second],
        );
        session.close();
        expect(outcome.record.status).toBe('pending');
        expect(outcome.collect.orphanObjectsQueued).toBe(0);
        await expectInvariants(t);
      },
    );

    it('a claim gone stale (its process stalled or died) is collected, and its upload records nothing', async () => {
      const bytes = content();
      const session = await t.get(UploadSessionsService).open();
      session.close();
      await t.get(ObjectStorage).putStream(session.objectKey, Readable.from([bytes]));
      await t
        .get(DataSource)
        .query(`UPDATE upload_sessions SET touched_at = now() - interval '1 day' WHERE object_key = $1`, [
          session.objectKey,
        ]);
      const report = await t.get(ContentMaintenanceService).collectGarbage();
      expect(report.orphanObjectsQueued).toBe(1);
      expect(report.staleUploadSessions).toBe(1);
      await expect(
        t.get(HashCleanupService).recordUpload(storedUpload(bytes, session.objectKey, 'stalled.txt')),
      ).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      expect(await count(t, `SELECT 1 FROM pending_files WHERE hash = $1`, [sha256(bytes)])).toBe(0);
      await expectInvariants(t);
    });
  });
});
