/**
 * `PUT /api/files/:id/content` by the file's uploader (a member): the replacement waits for moderation as a pending
 * file with `replacesMediaFileId`; approving it applies it to the file (same id, slug, tags, collections, usages,
 * metadata; new content; version + 1), rejecting it just rejects. The edge cases of docs/library-operations.md.
 */
import { useTestApp } from '../support/app.js';
import { content, count, sha256, storedObjectOf } from '../support/files.js';
import { expectInvariants } from '../support/invariants.js';
import { createCollection, createMediaFile, createTag, type Json } from './library-fixtures.js';

describe('media file content replacement by its uploader, through moderation', () => {
  const t = useTestApp({ env: { ORPHAN_GRACE_MINUTES: '0' } });
  let admin: string;
  let member: { id: string; auth: string };

  beforeAll(async () => {
    admin = await t.adminAuth();
    member = await t.createUser('member');
  });

  const replace = (id: string, bytes: Buffer, auth = member.auth, filename = 'new.txt') =>
    t.http.put(`/api/files/${id}/content`).set('Authorization', auth).attach('file', bytes, filename);
  const approve = (pendingId: string, body: Json = { title: 'Ignored title' }) =>
    t.http.post(`/api/pending/${pendingId}/approve`).set('Authorization', admin).send(body);
  const fileOf = async (id: string) => (await t.http.get(`/api/files/${id}`).set('Authorization', admin)).body;
  const pendingOf = async (id: string, auth = admin) =>
    (await t.http.get(`/api/pending/${id}`).set('Authorization', auth).expect(200)).body;
  const memberFile = (title: string, bytes?: Buffer) =>
    createMediaFile(t, { title, uploader: member.auth, accessLevel: 'members', content: bytes });
  const statusOf = async (hash: string): Promise<string> =>
    (
      await t.http
        .post('/api/uploads/check')
        .set('Authorization', admin)
        .send({ hashes: [hash] })
    ).body.results[0].status;
  /** A member's replacement that must be waiting for moderation: answers its pending file. */
  const proposed = async (id: string, bytes: Buffer, auth = member.auth): Promise<Json> => {
    const response = await replace(id, bytes, auth);
    expect([response.status, response.body.status]).toEqual([201, 'pending']);
    return response.body.pendingFile;
  };

  it('waits as a pending file; approving applies it and keeps everything else of the file', async () => {
    const tag = await createTag(t, 'Kept on approval');
    const collection = await createCollection(t, { title: 'Kept shelf' });
    const file = await createMediaFile(t, {
      title: 'Member photo',
      uploader: member.auth,
      accessLevel: 'members',
      tagIds: [tag.id],
      collectionIds: [collection.id],
    });
    await t.http
      .patch(`/api/files/${file.id}`)
      .set('Authorization', member.auth)
      .send({ metadata: { kept: 1 } })
      .expect(200);
    await t.http
      .post(`/api/files/${file.id}/usages`)
      .set('Authorization', admin)
      .send({ contentType: 'blog.post', contentId: '9' })
      .expect(201);
    const bytes = content();

    const response = await replace(file.id, bytes, member.auth, 'second-draft.txt');
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      status: 'pending',
      pendingFile: {
        status: 'pending',
        replacesMediaFileId: file.id,
        hash: sha256(bytes),
        originalFilename: 'second-draft.txt',
        uploadedBy: { id: member.id },
      },
    });
    const pendingId = response.body.pendingFile.id;
    // Nothing changes until an admin approves; the uploader sees the replacement in their queue.
    expect(await fileOf(file.id)).toMatchObject({ hash: file.hash, version: 1 });
    const queue = await t.http.get('/api/pending').set('Authorization', member.auth).expect(200);
    expect(queue.body.results.map((entry: Json) => [entry.id, entry.replacesMediaFileId])).toContainEqual([
      pendingId,
      file.id,
    ]);

    const approved = await approve(pendingId);
    expect(approved.status).toBe(201);
    expect(approved.body).toMatchObject({
      status: 'approved',
      mediaFile: {
        id: file.id,
        slug: file.slug,
        title: 'Member photo',
        accessLevel: 'members',
        hash: sha256(bytes),
        fileSize: bytes.length,
        originalFilename: 'second-draft.txt',
        version: 2,
        metadata: { kept: 1 },
        tags: [{ id: tag.id }],
        collections: [{ id: collection.id }],
        createdBy: { id: member.id },
      },
    });
    expect(await pendingOf(pendingId)).toMatchObject({ status: 'approved', mediaFileId: file.id });
    const usages = await t.http.get(`/api/files/${file.id}/usages`).set('Authorization', admin).expect(200);
    expect(usages.body.count).toBe(1);
    expect(await count(t, `SELECT 1 FROM media_files WHERE hash = $1`, [sha256(bytes)])).toBe(1);
    await expectInvariants(t);
    expect(await statusOf(file.hash)).toBe('new');
  });

  it('rejecting just rejects: the file keeps its content, the proposed one is freed', async () => {
    const file = await memberFile('Rejected draft');
    const bytes = content();
    const pending = await proposed(file.id, bytes);
    const rejected = await t.http
      .post(`/api/pending/${pending.id}/reject`)
      .set('Authorization', admin)
      .send({ reason: 'blurry' });
    expect(rejected.status).toBe(200);
    expect(rejected.body.pendingFile).toMatchObject({ status: 'rejected', replacesMediaFileId: file.id });
    expect(await fileOf(file.id)).toMatchObject({ hash: file.hash, version: 1 });
    await expectInvariants(t);
    expect(await statusOf(sha256(bytes))).toBe('new');
  });

  it('identical content: 200 with the file, nothing pending', async () => {
    const bytes = content();
    const file = await memberFile('Same again', bytes);
    const response = await replace(file.id, bytes);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: file.id, hash: file.hash, version: 1 });
    expect(await count(t, `SELECT 1 FROM pending_files WHERE replaces_media_file_id = $1`, [file.id])).toBe(0);
    await expectInvariants(t);
  });

  it('content an active file holds: 409 DUPLICATE_CONTENT at the PUT, and again at the approval', async () => {
    const holder = await createMediaFile(t, { title: 'Holder of the bytes' });
    const holderBytes = content();
    await t.http
      .put(`/api/files/${holder.id}/content`)
      .set('Authorization', admin)
      .attach('file', holderBytes, 'h.txt')
      .expect(200);
    const file = await memberFile('Would duplicate');
    const refused = await replace(file.id, holderBytes);
    expect([refused.status, refused.body.code, refused.body.details]).toEqual([
      409,
      'DUPLICATE_CONTENT',
      { mediaFileId: holder.id },
    ]);

    // Things change while a replacement waits: an admin gives another file the same content meanwhile.
    const bytes = content();
    const pending = await proposed(file.id, bytes);
    await t.http
      .put(`/api/files/${holder.id}/content`)
      .set('Authorization', admin)
      .attach('file', bytes, 'taken.txt')
      .expect(200);
    const late = await approve(pending.id);
    expect([late.status, late.body.code, late.body.details]).toEqual([
      409,
      'DUPLICATE_CONTENT',
      { mediaFileId: holder.id },
    ]);
    expect((await pendingOf(pending.id)).status).toBe('pending');
    expect(await fileOf(file.id)).toMatchObject({ hash: file.hash, version: 1 });
    await expectInvariants(t);
  });

  it('content a trashed file holds: the approval drops the trashed file, as any approval of it would', async () => {
    const bytes = content();
    const trashedHolder = await createMediaFile(t, { title: 'Trashed holder', content: bytes });
    await t.http.delete(`/api/files/${trashedHolder.id}`).set('Authorization', admin).expect(204);
    const file = await memberFile('Takes the trashed bytes');
    const pending = await proposed(file.id, bytes);
    expect((await approve(pending.id)).body.mediaFile).toMatchObject({ id: file.id, hash: sha256(bytes), version: 2 });
    expect(await count(t, `SELECT 1 FROM media_files WHERE id = $1`, [trashedHolder.id])).toBe(0);
    await expectInvariants(t);
  });

  it('content pending as an upload: 409 CONTENT_PENDING; an upload of a waiting replacement joins it', async () => {
    const other = await t.createUser('member');
    const uploadedBytes = content();
    const uploaded = await t.http
      .post('/api/uploads')
      .set('Authorization', other.auth)
      .attach('files', uploadedBytes, 'theirs.txt')
      .expect(201);
    const file = await memberFile('Not theirs to take');
    const refused = await replace(file.id, uploadedBytes);
    expect([refused.status, refused.body.code]).toEqual([409, 'CONTENT_PENDING']);
    expect((await pendingOf(uploaded.body.results[0].pendingFile.id)).replacesMediaFileId).toBeUndefined();

    // The other way round: the contract's reuse rule, the record stays the replacement it is.
    const bytes = content();
    const pending = await proposed(file.id, bytes);
    const joined = await t.http
      .post('/api/uploads')
      .set('Authorization', other.auth)
      .attach('files', bytes, 'same.txt')
      .expect(201);
    expect(joined.body.results[0]).toMatchObject({
      status: 'pending_updated',
      pendingFile: { id: pending.id, replacesMediaFileId: file.id },
    });
    expect((await pendingOf(pending.id)).uploaders.map((user: Json) => user.id)).toEqual([member.id, other.id]);
    expect((await approve(pending.id)).body.mediaFile).toMatchObject({ id: file.id, hash: sha256(bytes) });
    await expectInvariants(t);
  });

  it('a newer replacement of a file supersedes the waiting one; the same one sent again is renewed', async () => {
    const file = await memberFile('Drafted twice');
    const [first, second] = [content(), content()];
    const older = await proposed(file.id, first);
    const newer = await proposed(file.id, second);
    expect(newer.id).not.toBe(older.id);
    expect(await pendingOf(older.id)).toMatchObject({
      status: 'rejected',
      reason: 'Superseded by a newer replacement of the same file',
    });
    expect(await statusOf(sha256(first))).toBe('new');
    const late = await approve(older.id);
    expect([late.status, late.body.code]).toEqual([409, 'NOT_PENDING']);

    const again = await proposed(file.id, second);
    expect(again.id).toBe(newer.id);
    expect(
      await count(t, `SELECT 1 FROM pending_files WHERE replaces_media_file_id = $1 AND status = 'pending'`, [file.id]),
    ).toBe(1);
    expect((await approve(newer.id)).body.mediaFile).toMatchObject({ hash: sha256(second), version: 2 });
    await expectInvariants(t);
  });

  it('a decided record of the same content is reused for the replacement (one record per content)', async () => {
    const bytes = content();
    const upload = await t.http
      .post('/api/uploads')
      .set('Authorization', member.auth)
      .attach('files', bytes, 'first-try.txt')
      .expect(201);
    const recordId = upload.body.results[0].pendingFile.id;
    await t.http.post(`/api/pending/${recordId}/reject`).set('Authorization', admin).send({}).expect(200);
    const file = await memberFile('Reused record');
    const pending = await proposed(file.id, bytes);
    expect(pending).toMatchObject({ id: recordId, status: 'pending', replacesMediaFileId: file.id });
    expect((await approve(pending.id)).body.mediaFile).toMatchObject({ id: file.id, hash: sha256(bytes) });
    await expectInvariants(t);
  });

  it('target trashed: 409 REPLACEMENT_TARGET_GONE and the replacement waits; restored, it applies', async () => {
    const file = await memberFile('Trashed meanwhile');
    const pending = await proposed(file.id, content());
    await t.http.delete(`/api/files/${file.id}`).set('Authorization', member.auth).expect(204);
    const refused = await approve(pending.id);
    expect([refused.status, refused.body.code, refused.body.details]).toEqual([
      409,
      'REPLACEMENT_TARGET_GONE',
      { mediaFileId: file.id, state: 'trashed' },
    ]);
    expect((await pendingOf(pending.id)).status).toBe('pending');
    await t.http.post(`/api/trash/${file.id}/restore`).set('Authorization', member.auth).expect(200);
    expect((await approve(pending.id)).body.mediaFile).toMatchObject({ id: file.id, hash: pending.hash, version: 2 });
    await expectInvariants(t);
  });

  it('target purged: 409 REPLACEMENT_TARGET_GONE, the replacement can only be rejected (or expire)', async () => {
    const file = await memberFile('Purged meanwhile');
    const pending = await proposed(file.id, content());
    await t.http.delete(`/api/files/${file.id}`).set('Authorization', member.auth).expect(204);
    await t.http.delete(`/api/trash/${file.id}`).set('Authorization', admin).expect(204);
    const refused = await approve(pending.id);
    expect([refused.status, refused.body.code, refused.body.details]).toEqual([
      409,
      'REPLACEMENT_TARGET_GONE',
      { mediaFileId: file.id, state: 'purged' },
    ]);
    expect(await pendingOf(pending.id, member.auth)).toMatchObject({ status: 'pending', replacesMediaFileId: file.id });
    await expectInvariants(t);
    await t.http.post(`/api/pending/${pending.id}/reject`).set('Authorization', admin).send({}).expect(200);
    expect(await storedObjectOf(t, pending.hash)).toBeUndefined();
    await expectInvariants(t);
  });

  it('bulk approval applies a replacement like a single approval', async () => {
    const file = await memberFile('Bulk approved');
    const bytes = content();
    const pending = await proposed(file.id, bytes);
    const response = await t.http
      .post('/api/pending/bulk-approve')
      .set('Authorization', admin)
      .send({ approvals: [{ pendingFileId: pending.id, title: 'Unused' }] })
      .expect(200);
    expect(response.body.results).toEqual([{ pendingFileId: pending.id, status: 'approved', mediaFileId: file.id }]);
    expect(await fileOf(file.id)).toMatchObject({ title: 'Bulk approved', hash: sha256(bytes), version: 2 });
    await expectInvariants(t);
  });

  it('a refused part answers its code and records nothing', async () => {
    const file = await memberFile('Refused part');
    const empty = await replace(file.id, Buffer.alloc(0));
    expect([empty.status, empty.body.code]).toEqual([422, 'EMPTY_FILE']);
    expect(await count(t, `SELECT 1 FROM pending_files WHERE replaces_media_file_id = $1`, [file.id])).toBe(0);
    await expectInvariants(t);
  });
});
