/**
 * The approval of a member's replacement (a pending file with `replacesMediaFileId`) racing what can happen to its
 * file meanwhile, each forced in both orders with a lock barrier (test/support/race.ts); I1–I5 hold after each.
 */
import { jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { StoredObjectsRepository } from '../../src/file-manager/repositories/stored-objects.repository.js';
import { ContentMaintenanceService } from '../../src/file-manager/services/content-maintenance.service.js';
import { useTestApp } from '../support/app.js';
import { approve, content, count, purge, sha256, storedObjectOf, trash, upload } from '../support/files.js';
import { expectInvariants } from '../support/invariants.js';
import { bothOrders, holdContentLock, holdMediaRow, raceInOrder } from '../support/race.js';

describe('approving a replacement, forced in both orders', () => {
  const t = useTestApp({ env: { ORPHAN_GRACE_MINUTES: '0' } });
  let admin: string;
  let member: { id: string; auth: string };

  beforeAll(async () => {
    admin = await t.adminAuth();
    member = await t.createUser('member');
  });
  afterEach(() => jest.restoreAllMocks());

  /** A file of the member's (uploaded by them, approved), and their replacement of its content, waiting. */
  async function fileWithReplacement() {
    const uploaded = await upload(t, member.auth, content());
    const approved = await approve(t, admin, uploaded.pendingFile!.id, { title: 'Raced file' });
    const mediaId = approved.body.mediaFile.id as string;
    const bytes = content();
    const proposed = await propose(mediaId, bytes)();
    if (proposed.status !== 201) throw new Error(`replacement answered ${proposed.status}`);
    return { mediaId, hash: uploaded.hash, pendingId: proposed.body.pendingFile.id as string, newHash: sha256(bytes) };
  }

  const propose = (mediaId: string, bytes: Buffer) => () =>
    t.http.put(`/api/files/${mediaId}/content`).set('Authorization', member.auth).attach('file', bytes, 'next.txt');
  const approval = (pendingId: string) => () => approve(t, admin, pendingId, { title: 'Unused' });
  const row = async (sql: string, params: unknown[]) =>
    (await t.get(DataSource).query<Array<Record<string, unknown>>>(sql, params))[0];
  const statusOf = async (pendingId: string) =>
    (await row(`SELECT status FROM pending_files WHERE id = $1`, [pendingId]))?.status;

  it.each(bothOrders('approve', 'purge'))(
    'approve and a purge of the trashed file (%s first): the approval answers 409, the replacement waits',
    async (first, second) => {
      const file = await fileWithReplacement();
      await trash(t, member.auth, file.mediaId).expect(204);
      const barrier = await holdContentLock(t.databaseUrl, file.hash);
      const outcome = await raceInOrder(
        t.databaseUrl,
        barrier,
        { approve: approval(file.pendingId), purge: () => purge(t, admin, file.mediaId) },
        [first, second],
      );
      expect(outcome.purge.status).toBe(204);
      expect([outcome.approve.status, outcome.approve.body.code, outcome.approve.body.details]).toEqual([
        409,
        'REPLACEMENT_TARGET_GONE',
        { mediaFileId: file.mediaId, state: first === 'approve' ? 'trashed' : 'purged' },
      ]);
      expect(await statusOf(file.pendingId)).toBe('pending');
      expect(await storedObjectOf(t, file.hash)).toBeUndefined();
      expect(await storedObjectOf(t, file.newHash)).toBeDefined();
      await expectInvariants(t);
    },
  );

  it.each(bothOrders('approve', 'trash'))(
    'approve and a move of the file to the trash (%s first): the later one sees the earlier one',
    async (first, second) => {
      const file = await fileWithReplacement();
      const barrier = await holdMediaRow(t.databaseUrl, file.mediaId);
      const outcome = await raceInOrder(
        t.databaseUrl,
        barrier,
        { approve: approval(file.pendingId), trash: () => trash(t, member.auth, file.mediaId) },
        [first, second],
      );
      expect(outcome.trash.status).toBe(204);
      if (first === 'approve') {
        // Answered from its own transaction: the trash that follows at once does not make it a 409.
        expect(outcome.approve.status).toBe(201);
        expect(outcome.approve.body.mediaFile).toMatchObject({ id: file.mediaId, hash: file.newHash, version: 2 });
      } else {
        expect([outcome.approve.status, outcome.approve.body.details]).toEqual([
          409,
          { mediaFileId: file.mediaId, state: 'trashed' },
        ]);
      }
      expect(await statusOf(file.pendingId)).toBe(first === 'approve' ? 'approved' : 'pending');
      const trashed = await row(`SELECT hash, deleted_at AS "deletedAt" FROM media_files WHERE id = $1`, [
        file.mediaId,
      ]);
      expect(trashed?.hash).toBe(first === 'approve' ? file.newHash : file.hash);
      expect(trashed?.deletedAt).not.toBeNull();
      await expectInvariants(t);
    },
  );

  it.each(bothOrders('approve', 'replace'))(
    'approve and a second replacement by the uploader (%s first): superseded, or proposed on the new content',
    async (first, second) => {
      const file = await fileWithReplacement();
      const next = content();
      const barrier = await holdContentLock(t.databaseUrl, file.hash);
      const outcome = await raceInOrder(
        t.databaseUrl,
        barrier,
        { approve: approval(file.pendingId), replace: propose(file.mediaId, next) },
        [first, second],
      );
      expect([outcome.replace.status, outcome.replace.body.status]).toEqual([201, 'pending']);
      expect(outcome.replace.body.pendingFile).toMatchObject({ hash: sha256(next), replacesMediaFileId: file.mediaId });
      if (first === 'approve') {
        // The second replacement saw the file's content change under it and ran again on the new content.
        expect(outcome.approve.status).toBe(201);
        expect(await statusOf(file.pendingId)).toBe('approved');
      } else {
        expect([outcome.approve.status, outcome.approve.body.code]).toEqual([409, 'NOT_PENDING']);
        expect(await statusOf(file.pendingId)).toBe('rejected');
      }
      const current = await row(`SELECT hash, version FROM media_files WHERE id = $1`, [file.mediaId]);
      expect(current).toEqual(
        first === 'approve' ? { hash: file.newHash, version: 2 } : { hash: file.hash, version: 1 },
      );
      expect(
        await count(t, `SELECT 1 FROM pending_files WHERE replaces_media_file_id = $1 AND status = 'pending'`, [
          file.mediaId,
        ]),
      ).toBe(1);
      await expectInvariants(t);
    },
  );

  it.each(bothOrders('approve', 'collect'))(
    'approve and garbage collection judging both contents on a stale list (%s first): nothing needed is freed',
    async (first, second) => {
      const file = await fileWithReplacement();
      // GC re-checks every candidate under its content lock: hand it both contents, as a candidate list read just
      // before the approval would (the old content is unneeded a moment later), to prove the re-check holds.
      jest.spyOn(t.get(StoredObjectsRepository), 'unreferencedHashes').mockResolvedValueOnce([file.hash, file.newHash]);
      const barrier = await holdContentLock(t.databaseUrl, file.hash);
      const outcome = await raceInOrder(
        t.databaseUrl,
        barrier,
        { approve: approval(file.pendingId), collect: () => t.get(ContentMaintenanceService).collectGarbage() },
        [first, second],
      );
      expect(outcome.approve.status).toBe(201);
      expect(outcome.approve.body.mediaFile).toMatchObject({ id: file.mediaId, hash: file.newHash, version: 2 });
      // The old content is freed by the approval itself, never by GC; the new one is needed throughout.
      expect([outcome.collect.releasedContents, outcome.collect.orphanObjectsQueued]).toEqual([0, 0]);
      expect(await storedObjectOf(t, file.hash)).toBeUndefined();
      expect(await storedObjectOf(t, file.newHash)).toBeDefined();
      await expectInvariants(t);
    },
  );

  it.each(bothOrders('a', 'b'))(
    'two replacements by the uploader at once (%s first): both wait in turn, the later supersedes the earlier',
    async (first, second) => {
      const uploaded = await upload(t, member.auth, content());
      const mediaId = (await approve(t, admin, uploaded.pendingFile!.id, { title: 'Twice' })).body.mediaFile.id;
      const bytes = { a: content(), b: content() };
      const barrier = await holdContentLock(t.databaseUrl, uploaded.hash);
      const outcome = await raceInOrder(
        t.databaseUrl,
        barrier,
        { a: propose(mediaId, bytes.a), b: propose(mediaId, bytes.b) },
        [first, second],
      );
      expect([outcome.a.status, outcome.b.status]).toEqual([201, 201]);
      expect(await statusOf(outcome[first].body.pendingFile.id)).toBe('rejected');
      expect(await statusOf(outcome[second].body.pendingFile.id)).toBe('pending');
      expect(await storedObjectOf(t, sha256(bytes[first]))).toBeUndefined();
      await expectInvariants(t);
    },
  );
});
