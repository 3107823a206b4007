/**
 * The seven cases of the Django predecessor's fix (shared/seed/atomic-file-hash-handling.md), by name, on the
 * real PostgreSQL and S3 server, through the HTTP API.
 */
import { DataSource } from 'typeorm';
import { useTestApp } from '../support/app.js';
import {
  approve,
  content,
  count,
  createMediaFile,
  drainDeletions,
  objectKeys,
  purge,
  readObject,
  reject,
  restore,
  sha256,
  storedObjectOf,
  trash,
  upload,
} from '../support/files.js';

describe('atomic file hash handling (the seed cases)', () => {
  let admin: string;

  const t = useTestApp();

  beforeAll(async () => {
    admin = await t.adminAuth();
  });

  const mediaRows = (hash: string) => count(t, `SELECT 1 FROM media_files WHERE hash = $1`, [hash]);

  it('re-upload after soft delete', async () => {
    const bytes = content();
    const first = await createMediaFile(t, admin, bytes, { title: 'Report' });
    expect((await trash(t, admin, first.mediaId)).status).toBe(204);

    const again = await upload(t, admin, bytes, 'report-v2.txt');
    // The pending record of this content is reused, not duplicated.
    expect(again.status).toBe('pending_updated');
    expect(again.pendingFile!.id).toBe(first.pendingId);
    expect(again.pendingFile!.status).toBe('pending');

    const approved = await approve(t, admin, again.pendingFile!.id, { title: 'Report again' });
    expect(approved.status).toBe(201);
    expect(approved.body.mediaFile.id).not.toBe(first.mediaId);
    expect(approved.body.mediaFile.originalFilename).toBe('report-v2.txt');
    expect(await mediaRows(first.hash)).toBe(1);
    expect(
      (await t.http.get(`/api/trash`).set('Authorization', admin)).body.results.map((f: { id: string }) => f.id),
    ).not.toContain(first.mediaId);
  });

  it('cannot create a duplicate active file', async () => {
    const bytes = content();
    const file = await createMediaFile(t, admin, bytes);
    // Uploading content that is already an active media file creates nothing and reports it.
    const again = await upload(t, admin, bytes, 'copy.txt');
    expect(again.status).toBe('exists');
    expect(again.mediaFile!.id).toBe(file.mediaId);
    expect(await count(t, `SELECT 1 FROM pending_files WHERE hash = $1 AND status = 'pending'`, [file.hash])).toBe(0);

    // The one path to an active file *and* a pending file of one content: trash, re-upload, restore. Approval
    // must then refuse with the active file's id.
    await trash(t, admin, file.mediaId);
    const pending = await upload(t, admin, bytes);
    expect((await restore(t, admin, file.mediaId)).status).toBe(200);
    const refused = await approve(t, admin, pending.pendingFile!.id);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'DUPLICATE_CONTENT', details: { mediaFileId: file.mediaId } });
    expect(await mediaRows(file.hash)).toBe(1);
  });

  it('object cleanup during hash handling', async () => {
    const bytes = content();
    const file = await createMediaFile(t, admin, bytes);
    const before = await storedObjectOf(t, file.hash);
    await trash(t, admin, file.mediaId);
    const again = await upload(t, admin, bytes);
    await approve(t, admin, again.pendingFile!.id);
    await drainDeletions(t);

    // The trashed record went, the bytes stayed: same stored object, intact; the re-upload's copy was removed.
    const after = await storedObjectOf(t, file.hash);
    expect(after).toEqual(before);
    expect(sha256(await readObject(t, after!.objectKey))).toBe(file.hash);
    const keys = await objectKeys(t);
    expect(keys).toContain(after!.objectKey);
    expect(await count(t, `SELECT 1 FROM stored_objects WHERE hash = $1`, [file.hash])).toBe(1);
    expect(await count(t, `SELECT 1 FROM storage_deletions`)).toBe(0);
    // Exactly one object per stored content: the duplicate upload's copy is gone.
    const storedKeys = await t
      .get(DataSource)
      .query<Array<{ object_key: string }>>(`SELECT object_key FROM stored_objects`);
    expect(keys.sort()).toEqual(storedKeys.map((row) => row.object_key).sort());
  });

  it('atomic transaction rollback', async () => {
    const bytes = content();
    const file = await createMediaFile(t, admin, bytes, { title: 'Original' });
    await trash(t, admin, file.mediaId);
    const again = await upload(t, admin, bytes);
    const other = await createMediaFile(t, admin, content(), { title: 'Other', slug: 'taken-slug' });

    // Fails before anything is written: an unknown tag.
    const unknownTag = await approve(t, admin, again.pendingFile!.id, {
      title: 'New',
      tagIds: ['00000000-0000-4000-8000-000000000000'],
    });
    expect(unknownTag.status).toBe(400);
    expect(unknownTag.body.code).toBe('UNKNOWN_TAGS');
    // Fails after the trashed file was hard-deleted inside the transaction: the slug is taken.
    const slugTaken = await approve(t, admin, again.pendingFile!.id, { title: 'New', slug: 'taken-slug' });
    expect(slugTaken.status).toBe(409);
    expect(slugTaken.body.code).toBe('SLUG_TAKEN');

    // Everything is as before: the trashed file is still in the trash, the pending file still pending.
    const trashed = await t
      .get(DataSource)
      .query(`SELECT id, deleted_at FROM media_files WHERE hash = $1`, [file.hash]);
    expect(trashed).toHaveLength(1);
    expect(trashed[0].id).toBe(file.mediaId);
    expect(trashed[0].deleted_at).not.toBeNull();
    const pending = await t.http.get(`/api/pending/${again.pendingFile!.id}`).set('Authorization', admin);
    expect(pending.body.status).toBe('pending');
    // The file holding the slug the failed approval wanted is untouched.
    const holder = await t.http.get(`/api/files/${other.mediaId}`).set('Authorization', admin);
    expect(holder.body).toMatchObject({ id: other.mediaId, title: 'Other', slug: 'taken-slug' });
    // And the approval still works once the input is right.
    expect((await approve(t, admin, again.pendingFile!.id, { title: 'New' })).status).toBe(201);
  });

  it('pending file approve with soft deleted hash', async () => {
    const tag = await t
      .get(DataSource)
      .query(`INSERT INTO tags (name, slug) VALUES ('old-tag', 'old-tag') RETURNING id`);
    const newTag = await t
      .get(DataSource)
      .query(`INSERT INTO tags (name, slug) VALUES ('new-tag', 'new-tag') RETURNING id`);
    const bytes = content();
    const file = await createMediaFile(t, admin, bytes, { title: 'Old', tagIds: [tag[0].id], accessLevel: 'public' });
    await t.get(DataSource).query(`UPDATE media_files SET download_count = 7 WHERE id = $1`, [file.mediaId]);
    await trash(t, admin, file.mediaId);
    const member = await t.createUser('member');
    const again = await upload(t, member.auth, bytes, 'fresh.txt');
    expect(again.status).toBe('pending_updated');

    const approved = await approve(t, admin, again.pendingFile!.id, { title: 'Fresh', tagIds: [newTag[0].id] });
    expect(approved.status).toBe(201);
    // A fresh record: new metadata, counters reset, the uploader of the new upload as creator.
    expect(approved.body.mediaFile).toMatchObject({
      title: 'Fresh',
      slug: 'fresh',
      downloadCount: 0,
      accessLevel: 'members',
      originalFilename: 'fresh.txt',
      hash: file.hash,
      createdBy: { id: member.id },
      tags: [{ id: newTag[0].id, name: 'new-tag', slug: 'new-tag' }],
    });
    expect(await count(t, `SELECT 1 FROM media_file_tags WHERE media_file_id = $1`, [file.mediaId])).toBe(0);
    expect(await count(t, `SELECT 1 FROM media_files WHERE id = $1`, [file.mediaId])).toBe(0);
    expect((await t.http.get(`/api/pending/${again.pendingFile!.id}`).set('Authorization', admin)).body).toMatchObject({
      status: 'approved',
      mediaFileId: approved.body.mediaFile.id,
    });
  });

  it('multiple soft deleted same hash (repeated trash and re-upload cycles)', async () => {
    const bytes = content();
    const first = await createMediaFile(t, admin, bytes);
    const stored = await storedObjectOf(t, first.hash);
    let mediaId = first.mediaId;
    for (let cycle = 0; cycle < 5; cycle += 1) {
      expect((await trash(t, admin, mediaId)).status).toBe(204);
      const again = await upload(t, admin, bytes, `cycle-${cycle}.txt`);
      expect(again.status).toBe('pending_updated');
      const approved = await approve(t, admin, again.pendingFile!.id, { title: `Cycle ${cycle}` });
      expect(approved.status).toBe(201);
      expect(approved.body.mediaFile.slug).toBe(`cycle-${cycle}`);
      mediaId = approved.body.mediaFile.id;
      expect(await count(t, `SELECT 1 FROM media_files WHERE hash = $1`, [first.hash])).toBe(1);
      expect(await count(t, `SELECT 1 FROM pending_files WHERE hash = $1`, [first.hash])).toBe(1);
    }
    await drainDeletions(t);
    expect(await storedObjectOf(t, first.hash)).toEqual(stored);
    expect(sha256(await readObject(t, stored!.objectKey))).toBe(first.hash);
  });

  describe('hard delete checks all references', () => {
    it('keeps the object while a pending file still needs the content', async () => {
      const bytes = content();
      const file = await createMediaFile(t, admin, bytes);
      await trash(t, admin, file.mediaId);
      await upload(t, admin, bytes); // pending again
      expect((await purge(t, admin, file.mediaId)).status).toBe(204);
      await drainDeletions(t);
      const stored = await storedObjectOf(t, file.hash);
      expect(stored).toBeDefined();
      expect(sha256(await readObject(t, stored!.objectKey))).toBe(file.hash);
    });

    it('keeps the object while a trashed or active media file needs it, when a pending file is rejected', async () => {
      const bytes = content();
      const file = await createMediaFile(t, admin, bytes);
      await trash(t, admin, file.mediaId);
      const pending = await upload(t, admin, bytes);
      // Trashed media file holds the content: rejecting the pending file keeps it.
      expect((await reject(t, admin, pending.pendingFile!.id)).status).toBe(200);
      await drainDeletions(t);
      expect(await storedObjectOf(t, file.hash)).toBeDefined();
      // Active media file holds it (restored): same.
      const pendingAgain = await upload(t, admin, bytes);
      expect(pendingAgain.status).toBe('pending_updated');
      await restore(t, admin, file.mediaId);
      expect((await reject(t, admin, pendingAgain.pendingFile!.id)).status).toBe(200);
      await drainDeletions(t);
      const stored = await storedObjectOf(t, file.hash);
      expect(sha256(await readObject(t, stored!.objectKey))).toBe(file.hash);
    });

    it('removes the object once nothing needs it', async () => {
      const bytes = content();
      const file = await createMediaFile(t, admin, bytes);
      const stored = await storedObjectOf(t, file.hash);
      await trash(t, admin, file.mediaId);
      expect((await purge(t, admin, file.mediaId)).status).toBe(204);
      await drainDeletions(t);
      expect(await storedObjectOf(t, file.hash)).toBeUndefined();
      expect(await objectKeys(t)).not.toContain(stored!.objectKey);

      const rejected = await upload(t, admin, content());
      const rejectedStored = await storedObjectOf(t, rejected.hash);
      expect((await reject(t, admin, rejected.pendingFile!.id)).status).toBe(200);
      await drainDeletions(t);
      expect(await storedObjectOf(t, rejected.hash)).toBeUndefined();
      expect(await objectKeys(t)).not.toContain(rejectedStored!.objectKey);
      // The rejected record stays, with its reason.
      const record = await t.http.get(`/api/pending/${rejected.pendingFile!.id}`).set('Authorization', admin);
      expect(record.body).toMatchObject({ status: 'rejected', reason: 'no' });
    });
  });
});
