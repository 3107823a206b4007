/**
 * `PUT /api/files/:id/content` racing the content lifecycle, each forced in both orders with a lock barrier on the
 * content both need (test/support/race.ts); I1–I5 hold after each.
 */
import { Readable } from 'node:stream';
import { ObjectStorage } from '../../src/storage/object-storage.js';
import { ContentMaintenanceService } from '../../src/file-manager/services/content-maintenance.service.js';
import { HashCleanupService } from '../../src/file-manager/services/hash-cleanup.service.js';
import { UploadSessionsService } from '../../src/file-manager/services/upload-sessions.service.js';
import { useTestApp } from '../support/app.js';
import { content, count, createMediaFile, purge, sha256, trash } from '../support/files.js';
import { expectInvariants } from '../support/invariants.js';
import { bothOrders, holdContentLock, holdUploadSession, raceInOrder } from '../support/race.js';

describe('content replacement races, forced in both orders', () => {
  const t = useTestApp({ env: { ORPHAN_GRACE_MINUTES: '0' } });
  let admin: string;
  let member: { id: string; auth: string };

  beforeAll(async () => {
    admin = await t.adminAuth();
    member = await t.createUser('member');
  });

  const replace = (id: string, bytes: Buffer) => () =>
    t.http.put(`/api/files/${id}/content`).set('Authorization', admin).attach('file', bytes, 'new.txt');
  const fileOf = async (id: string) => (await t.http.get(`/api/files/${id}`).set('Authorization', admin)).body;

  it.each(bothOrders('replace', 'purge'))(
    'replace with content a trashed file holds, and a purge of that file (%s first): one content, one record',
    async (first, second) => {
      const target = await createMediaFile(t, admin);
      const holder = await createMediaFile(t, admin);
      await trash(t, admin, holder.mediaId).expect(204);
      const barrier = await holdContentLock(t.databaseUrl, holder.hash);
      const outcome = await raceInOrder(
        t.databaseUrl,
        barrier,
        { replace: replace(target.mediaId, holder.bytes), purge: () => purge(t, admin, holder.mediaId) },
        [first, second],
      );
      expect(outcome.replace.status).toBe(200);
      expect(outcome.replace.body).toMatchObject({ hash: holder.hash, version: 2 });
      // Replacing first drops the trashed holder (as an approval of that content would): nothing left to purge.
      expect(outcome.purge.status).toBe(first === 'purge' ? 204 : 404);
      expect(await count(t, `SELECT 1 FROM media_files WHERE hash = $1`, [holder.hash])).toBe(1);
      await expectInvariants(t);
    },
  );

  it.each(bothOrders('replace', 'upload'))(
    'replace and an upload of the old content (%s first): the upload sees the file, or stores the content anew',
    async (first, second) => {
      const file = await createMediaFile(t, admin);
      const barrier = await holdContentLock(t.databaseUrl, file.hash);
      const outcome = await raceInOrder(
        t.databaseUrl,
        barrier,
        {
          replace: replace(file.mediaId, content()),
          upload: () =>
            t.http.post('/api/uploads').set('Authorization', member.auth).attach('files', file.bytes, 'old.txt'),
        },
        [first, second],
      );
      expect(outcome.replace.status).toBe(200);
      expect(outcome.upload.status).toBe(201);
      const result = outcome.upload.body.results[0];
      if (first === 'upload') {
        expect(result).toMatchObject({ status: 'exists', mediaFile: { id: file.mediaId } });
      } else {
        // The old content was freed; the upload stores it again under the pending record it was approved from.
        expect(result.status).toBe('pending_updated');
      }
      expect((await fileOf(file.mediaId)).version).toBe(2);
      await expectInvariants(t);
    },
  );

  it.each([['first'], ['second']])(
    'two replacements of one file at once: the %s to lock wins, the other is 409',
    async (winner) => {
      const file = await createMediaFile(t, admin);
      const [a, b] = [content(), content()];
      const barrier = await holdContentLock(t.databaseUrl, file.hash);
      const order = winner === 'first' ? (['a', 'b'] as const) : (['b', 'a'] as const);
      const outcome = await raceInOrder(
        t.databaseUrl,
        barrier,
        { a: replace(file.mediaId, a), b: replace(file.mediaId, b) },
        order,
      );
      const [won, lost] = order;
      expect(outcome[won].status).toBe(200);
      expect([outcome[lost].status, outcome[lost].body.code]).toEqual([409, 'CONFLICT']);
      const bytes = { a, b };
      expect(await fileOf(file.mediaId)).toMatchObject({ hash: sha256(bytes[won]), version: 2 });
      await expectInvariants(t);
    },
  );

  it.each(bothOrders('replace', 'collect'))(
    'replace and garbage collection queued on its claim (%s first): the claim protects the new object',
    async (first, second) => {
      const file = await createMediaFile(t, admin);
      const bytes = content();
      const session = await t.get(UploadSessionsService).open();
      await t.get(ObjectStorage).putStream(session.objectKey, Readable.from([bytes]));
      const barrier = await holdUploadSession(t.databaseUrl, session.objectKey);
      const stored = {
        hash: sha256(bytes),
        size: bytes.length,
        objectKey: session.objectKey,
        originalFilename: 'new.txt',
        contentType: 'text/plain',
        fileType: 'document' as const,
        width: null,
        height: null,
      };
      const outcome = await raceInOrder(
        t.databaseUrl,
        barrier,
        {
          replace: () => t.get(HashCleanupService).replace(file.mediaId, stored, () => undefined),
          collect: () => t.get(ContentMaintenanceService).collectGarbage(),
        },
        [first, second],
      );
      session.close();
      expect(outcome.replace).toBe('replaced');
      expect(outcome.collect.orphanObjectsQueued).toBe(0);
      expect(await fileOf(file.mediaId)).toMatchObject({ hash: sha256(bytes), version: 2 });
      await expectInvariants(t);
    },
  );
});
