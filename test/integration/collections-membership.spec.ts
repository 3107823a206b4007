import { useTestApp } from '../support/app.js';
import { bothOrders, holdMediaRow, raceInOrder } from '../support/race.js';
import { createCollection, createMediaFile, listFiles, type Json } from './library-fixtures.js';

/** `POST|DELETE /api/collections/:id/files {fileIds}`: idempotent membership changes by the creator or an admin. */
describe('collection membership', () => {
  const t = useTestApp();
  let admin: string;
  let curator: { id: string; auth: string };
  let other: { id: string; auth: string };

  beforeAll(async () => {
    admin = await t.adminAuth();
    curator = await t.createUser('member');
    other = await t.createUser('member');
  });

  const add = (id: string, fileIds: string[], auth: string) =>
    t.http.post(`/api/collections/${id}/files`).set('Authorization', auth).send({ fileIds });
  const remove = (id: string, fileIds: string[], auth: string) =>
    t.http.delete(`/api/collections/${id}/files`).set('Authorization', auth).send({ fileIds });
  const fileIdsIn = async (id: string): Promise<string[]> =>
    (await listFiles(t, { collectionIds: id, pageSize: 100 }, admin)).results.map((file: Json) => file.id).sort();

  it('adds and removes files idempotently; counts and views follow', async () => {
    const collection = await createCollection(t, { title: 'Curated', accessLevel: 'members' }, curator.auth);
    const a = await createMediaFile(t, { title: 'Curated a', accessLevel: 'members' });
    const b = await createMediaFile(t, { title: 'Curated b', accessLevel: 'public' });

    expect((await add(collection.id, [a.id, b.id, a.id], curator.auth)).body).toEqual({ added: 2 });
    expect((await add(collection.id, [a.id, b.id], curator.auth)).body).toEqual({ added: 0 });
    expect(await fileIdsIn(collection.id)).toEqual([a.id, b.id].sort());
    const detail = await t.http.get(`/api/collections/${collection.id}`).set('Authorization', curator.auth);
    expect(detail.body.fileCount).toBe(2);
    const file = await t.http.get(`/api/files/${a.id}`).set('Authorization', curator.auth).expect(200);
    expect(file.body.collections).toEqual([{ id: collection.id, title: 'Curated', slug: collection.slug }]);

    const removed = await remove(collection.id, [a.id], curator.auth);
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({ removed: 1 });
    expect((await remove(collection.id, [a.id], curator.auth)).body).toEqual({ removed: 0 });
    expect(await fileIdsIn(collection.id)).toEqual([b.id]);
    expect((await add(collection.id, [a.id], admin)).body).toEqual({ added: 1 });
    expect((await remove(collection.id, [a.id, b.id], admin)).body).toEqual({ removed: 2 });
    expect(await fileIdsIn(collection.id)).toEqual([]);
  });

  it('another member gets 403 (404 for a collection they may not see); nothing changes', async () => {
    const open = await createCollection(t, { title: 'Not theirs', accessLevel: 'members' }, curator.auth);
    const hidden = await createCollection(t, { title: 'Hidden', accessLevel: 'private' }, curator.auth);
    const file = await createMediaFile(t, { title: 'Wanted', accessLevel: 'members' });
    const forbidden = await add(open.id, [file.id], other.auth);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe('FORBIDDEN');
    expect((await remove(open.id, [file.id], other.auth)).status).toBe(403);
    const notFound = await add(hidden.id, [file.id], other.auth);
    expect(notFound.status).toBe(404);
    expect((await t.http.post(`/api/collections/${open.id}/files`).send({ fileIds: [file.id] })).status).toBe(401);
    expect(await fileIdsIn(open.id)).toEqual([]);
    expect(await fileIdsIn(hidden.id)).toEqual([]);
  });

  it('files the caller may not see, trashed or missing are 404 naming them, and nothing changes', async () => {
    const collection = await createCollection(t, { title: 'Strict', accessLevel: 'members' }, curator.auth);
    const visible = await createMediaFile(t, { title: 'Strict visible', accessLevel: 'members' });
    const staff = await createMediaFile(t, { title: 'Strict staff', accessLevel: 'staff' });
    const othersPrivate = await createMediaFile(t, {
      title: 'Strict private',
      accessLevel: 'private',
      uploader: other.auth,
    });
    const trashed = await createMediaFile(t, { title: 'Strict trashed', accessLevel: 'members' });
    await t.http.delete(`/api/files/${trashed.id}`).set('Authorization', admin).expect(204);
    const missing = '00000000-0000-4000-8000-000000000042';

    const response = await add(
      collection.id,
      [visible.id, staff.id, othersPrivate.id, trashed.id, missing],
      curator.auth,
    );
    expect(response.status).toBe(404);
    expect(response.body.code).toBe('NOT_FOUND');
    expect(response.body.details.fileIds).toEqual([staff.id, othersPrivate.id, trashed.id, missing]);
    expect(await fileIdsIn(collection.id)).toEqual([]);

    // An admin sees them all but the trashed and the missing one.
    const asAdmin = await add(collection.id, [visible.id, staff.id, othersPrivate.id, trashed.id], admin);
    expect(asAdmin.body.details.fileIds).toEqual([trashed.id]);
    expect((await add(collection.id, [visible.id, staff.id, othersPrivate.id], admin)).body).toEqual({ added: 3 });
    const refusedRemove = await remove(collection.id, [visible.id, staff.id], curator.auth);
    expect(refusedRemove.status).toBe(404);
    expect(await fileIdsIn(collection.id)).toEqual([visible.id, staff.id, othersPrivate.id].sort());
  });

  it('validates the body', async () => {
    const collection = await createCollection(t, { title: 'Validated' }, curator.auth);
    for (const body of [{}, { fileIds: [] }, { fileIds: ['not-a-uuid'] }]) {
      const response = await t.http
        .post(`/api/collections/${collection.id}/files`)
        .set('Authorization', curator.auth)
        .send(body);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
    }
  });

  it.each(bothOrders('add', 'delete'))(
    'adding files and deleting the collection, %s first: no deadlock, the later sees the earlier',
    async (first, second) => {
      const collection = await createCollection(t, { title: `Raced shelf ${first}` }, curator.auth);
      const inside = await createMediaFile(t, { title: `Raced inside ${first}`, collectionIds: [collection.id] });
      const outside = await createMediaFile(t, { title: `Raced outside ${first}` });

      const barrier = await holdMediaRow(t.databaseUrl, inside.id);
      const outcome = await raceInOrder(
        t.databaseUrl,
        barrier,
        {
          add: () => add(collection.id, [inside.id, outside.id], curator.auth),
          delete: () => t.http.delete(`/api/collections/${collection.id}`).set('Authorization', curator.auth),
        },
        [first, second],
      );
      expect(outcome.delete.status).toBe(204);
      expect([outcome.add.status, outcome.add.body.added]).toEqual(first === 'add' ? [200, 1] : [404, undefined]);
      for (const file of [inside, outside]) {
        const view = await t.http.get(`/api/files/${file.id}`).set('Authorization', admin).expect(200);
        expect(view.body.collections).toEqual([]);
      }
    },
  );
});
