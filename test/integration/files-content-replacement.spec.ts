import { jest } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { ObjectStorage } from '../../src/storage/object-storage.js';
import { useTestApp } from '../support/app.js';
import { expectInvariants } from '../support/invariants.js';
import { createCollection, createMediaFile, createTag, png, type Json } from './library-fixtures.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * `PUT /api/files/:id/content` as an admin: new content, same file; the old content freed unless needed. A member's
 * replacement (through moderation) is `files-content-replacement-moderation.spec.ts`.
 */
describe('media file content replacement', () => {
  const t = useTestApp({ env: { ORPHAN_GRACE_MINUTES: '0' } });
  let admin: string;
  let member: { id: string; auth: string };

  beforeAll(async () => {
    admin = await t.adminAuth();
    member = await t.createUser('member');
  });

  const replace = (id: string, content: Buffer, filename = 'new.png', auth = admin) =>
    t.http.put(`/api/files/${id}/content`).set('Authorization', auth).attach('file', content, filename);
  const download = async (id: string): Promise<Buffer> =>
    (
      await t.http
        .get(`/api/files/${id}/content`)
        .set('Authorization', admin)
        .buffer(true)
        .parse((response, done) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => done(null, Buffer.concat(chunks)));
        })
        .expect(200)
    ).body as Buffer;

  it('keeps id, slug, tags, collections, usages and metadata; new hash, size and type; version + 1', async () => {
    const tag = await createTag(t, 'Replaced tag');
    const collection = await createCollection(t, { title: 'Replaced shelf' });
    const file = await createMediaFile(t, {
      title: 'Replaced',
      tagIds: [tag.id],
      collectionIds: [collection.id],
      metadata: { kept: true },
    } as Json);
    await t.http
      .post(`/api/files/${file.id}/usages`)
      .set('Authorization', admin)
      .send({ contentType: 'blog.post', contentId: '7' })
      .expect(201);
    expect(file.version).toBe(1);

    const content = png(300, 7);
    const response = await replace(file.id, content, 'photo.png');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      id: file.id,
      slug: file.slug,
      title: 'Replaced',
      hash: sha256(content),
      fileSize: content.length,
      contentType: 'image/png',
      fileType: 'image',
      originalFilename: 'photo.png',
      version: 2,
      metadata: { kept: true },
      tags: [{ id: tag.id }],
      collections: [{ id: collection.id }],
    });
    expect(await download(file.id)).toEqual(content);
    const usages = await t.http.get(`/api/files/${file.id}/usages`).set('Authorization', admin).expect(200);
    expect(JSON.stringify(usages.body)).toContain('blog.post');
    // The old content is freed: nothing needs it any more (I1-I5 check the bucket and the rows).
    await expectInvariants(t);
    const oldStatus = await t.http
      .post('/api/uploads/check')
      .set('Authorization', admin)
      .send({ hashes: [file.hash] });
    expect(oldStatus.body.results[0].status).toBe('new');
  });

  it('identical content: 200, nothing changes', async () => {
    const content = Buffer.concat([Buffer.from('same bytes\n'), randomBytes(16)]);
    const file = await createMediaFile(t, { title: 'Identical', content, filename: 'same.txt' });
    const response = await replace(file.id, content, 'other-name.txt');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ hash: file.hash, version: 1, originalFilename: 'same.txt' });
    await expectInvariants(t);
  });

  it('content another active file holds: 409 DUPLICATE_CONTENT, nothing changes', async () => {
    const other = await createMediaFile(t, { title: 'Holder' });
    const otherContent = await download(other.id);
    const file = await createMediaFile(t, { title: 'Would duplicate' });
    const response = await replace(file.id, otherContent, 'copy.txt');
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ code: 'DUPLICATE_CONTENT', details: { mediaFileId: other.id } });
    const unchanged = await t.http.get(`/api/files/${file.id}`).set('Authorization', admin).expect(200);
    expect(unchanged.body).toMatchObject({ hash: file.hash, version: 1 });
    await expectInvariants(t);
  });

  it('uploader or admin (another member 403, 404 where they cannot see it), 404 when trashed or missing', async () => {
    const file = await createMediaFile(t, { title: 'Guarded', uploader: member.auth, accessLevel: 'members' });
    const other = await t.createUser('member');
    // Refused before the bytes are streamed into storage.
    const stored = jest.spyOn(t.get(ObjectStorage), 'putStream');
    expect((await replace(file.id, randomBytes(32), 'x.bin', other.auth)).status).toBe(403);
    expect(stored).not.toHaveBeenCalled();
    stored.mockRestore();
    const hidden = await createMediaFile(t, { title: 'Hidden', uploader: member.auth, accessLevel: 'private' });
    expect((await replace(hidden.id, randomBytes(32), 'x.bin', other.auth)).status).toBe(404);
    expect((await replace('00000000-0000-4000-8000-000000000099', randomBytes(32))).status).toBe(404);
    const noPart = await t.http
      .put(`/api/files/${file.id}/content`)
      .set('Authorization', admin)
      .attach('files', randomBytes(8), 'wrong-field.bin');
    expect([noPart.status, noPart.body.code]).toEqual([400, 'NO_FILES']);
    const empty = await replace(file.id, Buffer.alloc(0), 'empty.txt');
    expect(empty.status).toBe(422);
    await t.http.delete(`/api/files/${file.id}`).set('Authorization', admin).expect(204);
    expect((await replace(file.id, randomBytes(32), 'late.txt')).status).toBe(404);
    await expectInvariants(t);
  });
});
