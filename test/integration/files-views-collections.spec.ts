/**
 * Every media file view lists only the collections its caller may see: a file can sit in another member's private
 * collection, whose title is theirs. The trash list, a restore and an upload's `exists` answer used to list every
 * collection of the file. A member's PATCH of `collectionIds` replaces the collections they can see and keeps the
 * ones they can't (removing a file from someone else's private collection is not theirs to do).
 */
import { DataSource } from 'typeorm';
import { useTestApp } from '../support/app.js';
import { createCollection, createMediaFile, type Json } from './library-fixtures.js';

describe('media file views and private collections', () => {
  let admin: string;
  let uploader: { id: string; auth: string };
  let owner: { id: string; auth: string };
  let shared: Json;
  let secret: Json;

  const t = useTestApp();

  beforeAll(async () => {
    admin = await t.adminAuth();
    uploader = await t.createUser('member');
    owner = await t.createUser('member');
    shared = await createCollection(t, { title: 'Shared shelf', accessLevel: 'members' });
    secret = await createCollection(t, { title: 'Owner secret shelf', accessLevel: 'private' }, owner.auth);
  });

  const collectionTitles = (view: Json): string[] => view.collections.map((collection: Json) => collection.title);

  /** A file of `uploader`'s in the shared collection and in `owner`'s private one (an admin put it there). */
  async function fileInBoth(title: string): Promise<{ file: Json; content: Buffer }> {
    const content = Buffer.from(`${title} ${Math.random()}\n`);
    const file = await createMediaFile(t, {
      title,
      content,
      accessLevel: 'members',
      collectionIds: [shared.id, secret.id],
      uploader: uploader.auth,
    });
    expect(collectionTitles(file)).toEqual(['Owner secret shelf', 'Shared shelf']);
    return { file, content };
  }

  it("answers an upload of existing content without the other member's private collection", async () => {
    const { file, content } = await fileInBoth('Uploaded twice');
    const again = await t.http
      .post('/api/uploads')
      .set('Authorization', uploader.auth)
      .attach('files', content, 'again.txt');
    expect(again.status).toBe(201);
    expect(again.body.results[0]).toMatchObject({ status: 'exists', mediaFile: { id: file.id } });
    expect(collectionTitles(again.body.results[0].mediaFile)).toEqual(['Shared shelf']);
  });

  it("lists the trash and answers a restore without the other member's private collection", async () => {
    const { file } = await fileInBoth('Trashed and restored');
    await t.http.delete(`/api/files/${file.id}`).set('Authorization', uploader.auth).expect(204);

    const trash = await t.http.get('/api/trash').set('Authorization', uploader.auth).expect(200);
    const trashed = trash.body.results.find((view: Json) => view.id === file.id);
    expect(collectionTitles(trashed)).toEqual(['Shared shelf']);
    // The admin sees every collection: the filter is the caller's, not a loss of links.
    const adminTrash = await t.http.get('/api/trash').set('Authorization', admin).expect(200);
    expect(collectionTitles(adminTrash.body.results.find((view: Json) => view.id === file.id))).toEqual([
      'Owner secret shelf',
      'Shared shelf',
    ]);

    const restored = await t.http.post(`/api/trash/${file.id}/restore`).set('Authorization', uploader.auth).expect(200);
    expect(restored.body.id).toBe(file.id);
    expect(collectionTitles(restored.body)).toEqual(['Shared shelf']);
  });

  it("keeps the collections a member can't see when their PATCH replaces the file's collections", async () => {
    const { file } = await fileInBoth('Patched by its uploader');
    const other = await createCollection(t, { title: 'Other shelf', accessLevel: 'members' });

    const patched = await t.http
      .patch(`/api/files/${file.id}`)
      .set('Authorization', uploader.auth)
      .send({ collectionIds: [other.id] })
      .expect(200);
    expect(collectionTitles(patched.body)).toEqual(['Other shelf']);

    const links: Array<{ title: string }> = await t.get(DataSource).query(
      `SELECT c.title FROM media_file_collections mc JOIN collections c ON c.id = mc.collection_id
        WHERE mc.media_file_id = $1 ORDER BY c.title`,
      [file.id],
    );
    expect(links.map((link) => link.title)).toEqual(['Other shelf', 'Owner secret shelf']);
    const asOwner = await t.http.get(`/api/files/${file.id}`).set('Authorization', owner.auth).expect(200);
    expect(collectionTitles(asOwner.body)).toEqual(['Other shelf', 'Owner secret shelf']);

    // An empty list empties what the member sees, and still keeps the rest.
    await t.http
      .patch(`/api/files/${file.id}`)
      .set('Authorization', uploader.auth)
      .send({ collectionIds: [] })
      .expect(200);
    const afterEmpty = await t.http.get(`/api/files/${file.id}`).set('Authorization', admin).expect(200);
    expect(collectionTitles(afterEmpty.body)).toEqual(['Owner secret shelf']);
  });

  it('finds nothing by a collection the caller may not see, not even the files they see in it', async () => {
    const { file } = await fileInBoth('Filtered by collection');
    const ids = async (auth: string, collectionIds: string[]) => {
      const query = collectionIds.map((id) => `collectionIds=${id}`).join('&');
      const response = await t.http.get(`/api/files?${query}&pageSize=100`).set('Authorization', auth).expect(200);
      return { ids: response.body.results.map((view: Json) => view.id), count: response.body.count };
    };
    // Otherwise the filter confirms which of one's files sit in a collection one cannot see.
    expect(await ids(uploader.auth, [secret.id])).toEqual({ ids: [], count: 0 });
    expect((await ids(uploader.auth, [secret.id, shared.id])).ids).toContain(file.id);
    expect((await ids(owner.auth, [secret.id])).ids).toContain(file.id);
    expect((await ids(admin, [secret.id])).ids).toContain(file.id);
  });
});
