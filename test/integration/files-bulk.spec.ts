import { useTestApp } from '../support/app.js';
import { createCollection, createMediaFile, createTag, type Json } from './library-fixtures.js';

/** `POST /api/files/bulk`: one action on many files, each authorized like its single-file request. */
describe('bulk edits of media files', () => {
  const t = useTestApp();
  let admin: string;
  let owner: { id: string; auth: string };
  let other: { id: string; auth: string };

  beforeAll(async () => {
    admin = await t.adminAuth();
    owner = await t.createUser('member');
    other = await t.createUser('member');
  });

  const bulk = (body: Record<string, unknown>, auth = admin) =>
    t.http.post('/api/files/bulk').set('Authorization', auth).send(body);
  const view = async (id: string): Promise<Json> =>
    (await t.http.get(`/api/files/${id}`).set('Authorization', admin).expect(200)).body;
  const tagNames = async (id: string) => (await view(id)).tags.map((tag: Json) => tag.name);
  const files = (n: number, prefix: string, extra: Record<string, unknown> = {}) =>
    Promise.all(Array.from({ length: n }, (_, i) => createMediaFile(t, { title: `${prefix} ${i}`, ...extra })));

  it('adds, removes and sets tags', async () => {
    const [red, blue] = [await createTag(t, 'Bulk red'), await createTag(t, 'Bulk blue')];
    const [a, b, c] = await files(3, 'Tagged');
    const ids = [a.id, b.id, c.id];

    const added = await bulk({ ids, action: 'addTags', tagIds: [red.id, blue.id] });
    expect(added.status).toBe(200);
    expect(added.body).toEqual({
      results: ids.map((id) => ({ id, status: 'ok' })),
      summary: { total: 3, ok: 3, errors: 0 },
    });
    for (const id of ids) expect(await tagNames(id)).toEqual(['Bulk blue', 'Bulk red']);
    // Adding again changes nothing (no duplicate links).
    expect((await bulk({ ids, action: 'addTags', tagIds: [red.id] })).body.summary.ok).toBe(3);
    expect(await tagNames(a.id)).toEqual(['Bulk blue', 'Bulk red']);

    await bulk({ ids: [a.id, b.id], action: 'removeTags', tagIds: [red.id] }).expect(200);
    expect(await tagNames(a.id)).toEqual(['Bulk blue']);
    expect(await tagNames(c.id)).toEqual(['Bulk blue', 'Bulk red']);
    await bulk({ ids: [a.id, c.id], action: 'setTags', tagIds: [red.id] }).expect(200);
    expect(await tagNames(a.id)).toEqual(['Bulk red']);
    expect(await tagNames(b.id)).toEqual(['Bulk blue']);
    expect(await tagNames(c.id)).toEqual(['Bulk red']);
    expect((await t.http.get(`/api/tags/${red.id}`).set('Authorization', admin)).body.fileCount).toBe(2);
  });

  it('adds to and removes from collections, sets the access level, trashes and restores', async () => {
    const collection = await createCollection(t, { title: 'Bulk shelf' });
    const [a, b] = await files(2, 'Shelved');
    const ids = [a.id, b.id];
    await bulk({ ids, action: 'addToCollections', collectionIds: [collection.id] }).expect(200);
    expect((await view(a.id)).collections.map((c: Json) => c.id)).toEqual([collection.id]);
    expect((await t.http.get(`/api/collections/${collection.id}`).set('Authorization', admin)).body.fileCount).toBe(2);
    await bulk({ ids: [a.id], action: 'removeFromCollections', collectionIds: [collection.id] }).expect(200);
    expect((await view(a.id)).collections).toEqual([]);
    expect((await view(b.id)).collections.map((c: Json) => c.id)).toEqual([collection.id]);

    await bulk({ ids, action: 'setAccessLevel', accessLevel: 'staff' }).expect(200);
    expect((await view(a.id)).accessLevel).toBe('staff');
    expect((await view(b.id)).accessLevel).toBe('staff');

    const trashed = await bulk({ ids, action: 'trash' });
    expect(trashed.body.summary).toEqual({ total: 2, ok: 2, errors: 0 });
    expect((await t.http.get(`/api/files/${a.id}`).set('Authorization', admin)).status).toBe(404);
    const again = await bulk({ ids, action: 'trash' });
    expect(again.body.results.map((r: Json) => r.error.code)).toEqual(['NOT_FOUND', 'NOT_FOUND']);
    await bulk({ ids, action: 'restore' }).expect(200);
    expect((await view(a.id)).accessLevel).toBe('staff');
  });

  it('authorizes each item like its single request and reports it, in the order asked, each id once', async () => {
    const own = await createMediaFile(t, { title: 'Own', uploader: owner.auth, accessLevel: 'members' });
    const others = await createMediaFile(t, { title: 'Others', uploader: other.auth, accessLevel: 'members' });
    const hidden = await createMediaFile(t, { title: 'Hidden', uploader: other.auth, accessLevel: 'private' });
    const missing = '00000000-0000-4000-8000-0000000000aa';

    const response = await bulk(
      { ids: [missing, hidden.id, own.id, others.id, own.id], action: 'setAccessLevel', accessLevel: 'public' },
      owner.auth,
    );
    expect(response.status).toBe(200);
    expect(response.body.results.map((r: Json) => [r.id, r.status, r.error?.code])).toEqual([
      [missing, 'error', 'NOT_FOUND'],
      [hidden.id, 'error', 'NOT_FOUND'],
      [own.id, 'ok', undefined],
      [others.id, 'error', 'FORBIDDEN'],
    ]);
    expect(response.body.summary).toEqual({ total: 4, ok: 1, errors: 3 });
    expect((await view(own.id)).accessLevel).toBe('public');
    expect((await view(others.id)).accessLevel).toBe('members');
    expect((await view(hidden.id)).accessLevel).toBe('private');

    // Like PATCH: a member may not set an access level they could not read.
    const staff = await bulk({ ids: [own.id], action: 'setAccessLevel', accessLevel: 'staff' }, owner.auth);
    expect(staff.body.results[0]).toMatchObject({ status: 'error', error: { code: 'ACCESS_LEVEL_NOT_ALLOWED' } });
    expect((await view(own.id)).accessLevel).toBe('public');
  });

  it('reports unknown tags and files in use per item', async () => {
    const [a] = await files(1, 'Used');
    await t.http
      .post(`/api/files/${a.id}/usages`)
      .set('Authorization', admin)
      .send({ contentType: 'blog.post', contentId: '1' })
      .expect(201);
    const inUse = await bulk({ ids: [a.id], action: 'trash' });
    expect(inUse.body.results[0]).toMatchObject({ status: 'error', error: { code: 'IN_USE' } });
    const unknownTag = '00000000-0000-4000-8000-0000000000bb';
    const unknown = await bulk({ ids: [a.id], action: 'addTags', tagIds: [unknownTag] });
    expect(unknown.body.results[0]).toEqual({
      id: a.id,
      status: 'error',
      error: { code: 'UNKNOWN_TAGS', message: expect.any(String), details: { tagIds: [unknownTag] } },
    });
    expect((await view(a.id)).tags).toEqual([]);
  });

  it('validates the request', async () => {
    const id = '00000000-0000-4000-8000-0000000000cc';
    const invalid = [
      { ids: [], action: 'trash' },
      {
        ids: Array.from({ length: 101 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`),
        action: 'trash',
      },
      { ids: [id], action: 'explode' },
      { ids: [id], action: 'addTags' },
      { ids: [id], action: 'addToCollections' },
      { ids: [id], action: 'setAccessLevel' },
      { ids: [id], action: 'setAccessLevel', accessLevel: 'everyone' },
      { ids: ['nope'], action: 'trash' },
    ];
    for (const body of invalid) {
      const response = await bulk(body);
      expect([response.status, response.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    }
    expect((await t.http.post('/api/files/bulk').send({ ids: [id], action: 'trash' })).status).toBe(401);
  });

  it('the library operations are in the OpenAPI document, with their operationIds and response schemas', async () => {
    const document = (await t.http.get('/api/docs-json').expect(200)).body;
    const operation = (path: string, method: string) => document.paths[path]?.[method];
    expect(operation('/api/files/bulk', 'post').operationId).toBe('bulkEditFiles');
    expect(operation('/api/files/slug-available', 'get').operationId).toBe('checkSlugAvailable');
    expect(operation('/api/collections/{id}/files', 'post').operationId).toBe('addCollectionFiles');
    expect(operation('/api/collections/{id}/files', 'delete').operationId).toBe('removeCollectionFiles');
    expect(operation('/api/tags/{id}/merge', 'post').operationId).toBe('mergeTag');
    const bulkSchema = operation('/api/files/bulk', 'post').responses['200'].content['application/json'].schema;
    expect(bulkSchema).toEqual({ $ref: '#/components/schemas/BulkFilesResponse' });
    expect(Object.keys(document.components.schemas.BulkFilesResponse.properties)).toEqual(['results', 'summary']);
  });
});
