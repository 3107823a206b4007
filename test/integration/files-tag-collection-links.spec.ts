/**
 * The denormalised link arrays behind the tag and collection filters (`media_files.tag_ids`, `collection_ids`,
 * migration 1764202000000) follow every change of the links, and a PATCH of a file's tags racing the deletion of
 * one of its tags never deadlocks into a 5xx (forced in both orders with a lock barrier on the file's row).
 */
import { DataSource } from 'typeorm';
import { useTestApp } from '../support/app.js';
import { bothOrders, holdMediaRow, raceInOrder } from '../support/race.js';
import { createCollection, createMediaFile, createTag, listFiles, titles, type Json } from './library-fixtures.js';

describe('tag and collection filters follow the links; PATCH vs tag delete', () => {
  let admin: string;

  const t = useTestApp();

  beforeAll(async () => {
    admin = await t.adminAuth();
  });

  async function arrays(id: string): Promise<{ tagIds: string[]; collectionIds: string[] }> {
    const [row] = await t
      .get(DataSource)
      .query<Array<{ tagIds: string[]; collectionIds: string[] }>>(
        `SELECT tag_ids AS "tagIds", collection_ids AS "collectionIds" FROM media_files WHERE id = $1`,
        [id],
      );
    return row;
  }

  it('keeps tag_ids and collection_ids equal to the links on approve, PATCH, trash, restore and deletes', async () => {
    const [red, blue] = [await createTag(t, 'Linkred'), await createTag(t, 'Linkblue')];
    const [album, shelf] = [
      await createCollection(t, { title: 'Link album', accessLevel: 'public' }),
      await createCollection(t, { title: 'Link shelf', accessLevel: 'public' }),
    ];
    const file = await createMediaFile(t, {
      title: 'Linked file',
      accessLevel: 'public',
      tagIds: [red.id],
      collectionIds: [album.id],
    });
    const sorted = (...ids: string[]) => [...ids].sort();
    expect(await arrays(file.id)).toEqual({ tagIds: [red.id], collectionIds: [album.id] });
    expect(titles(await listFiles(t, { tagIds: red.id }))).toEqual(['Linked file']);
    expect(titles(await listFiles(t, { collectionIds: album.id }))).toEqual(['Linked file']);

    await t.http
      .patch(`/api/files/${file.id}`)
      .set('Authorization', admin)
      .send({ tagIds: [blue.id, red.id], collectionIds: [shelf.id] })
      .expect(200);
    expect(await arrays(file.id)).toEqual({ tagIds: sorted(red.id, blue.id), collectionIds: [shelf.id] });
    expect(titles(await listFiles(t, { tagIds: blue.id }))).toEqual(['Linked file']);
    expect(await listFiles(t, { collectionIds: album.id })).toMatchObject({ results: [], count: 0 });
    // The tag names in the search text follow too.
    expect(titles(await listFiles(t, { q: 'linkblue' }))).toEqual(['Linked file']);

    // Trashed files never match; restored ones match again with the links they had.
    await t.http.delete(`/api/files/${file.id}`).set('Authorization', admin).expect(204);
    expect(await listFiles(t, { tagIds: red.id }, admin)).toMatchObject({ results: [], count: 0 });
    await t.http
      .post(`/api/trash/${file.id}/restore`)
      .set('Authorization', admin)
      .expect((response) => {
        if (response.status >= 300) throw new Error(`restore: ${response.status} ${JSON.stringify(response.body)}`);
      });
    expect(titles(await listFiles(t, { tagIds: red.id }, admin))).toEqual(['Linked file']);

    // Deleting a tag or a collection removes it from the arrays (through the cascade on the links).
    await t.http.delete(`/api/tags/${blue.id}`).set('Authorization', admin).expect(204);
    await t.http.delete(`/api/collections/${shelf.id}`).set('Authorization', admin).expect(204);
    expect(await arrays(file.id)).toEqual({ tagIds: [red.id], collectionIds: [] });
    expect(await listFiles(t, { q: 'linkblue' })).toMatchObject({ results: [], count: 0 });

    await t.http.patch(`/api/files/${file.id}`).set('Authorization', admin).send({ tagIds: [] }).expect(200);
    expect(await arrays(file.id)).toEqual({ tagIds: [], collectionIds: [] });
  });

  it('pages and counts tag and q matches, including past the last page', async () => {
    const tag = await createTag(t, 'Pagedtag');
    for (const title of ['Paged one', 'Paged two', 'Paged three'])
      await createMediaFile(t, { title, accessLevel: 'public', tagIds: [tag.id] });
    expect(await listFiles(t, { tagIds: tag.id, pageSize: 2 })).toMatchObject({
      count: 3,
      totalPages: 2,
      hasNext: true,
    });
    expect(await listFiles(t, { tagIds: tag.id, pageSize: 2, page: 2 })).toMatchObject({
      count: 3,
      results: [expect.anything()],
    });
    expect(await listFiles(t, { tagIds: tag.id, pageSize: 2, page: 5 })).toMatchObject({ count: 3, results: [] });
    expect(await listFiles(t, { q: 'paged', pageSize: 2, page: 5 })).toMatchObject({ count: 3, results: [] });
  });

  it.each(bothOrders('patch', 'delete'))(
    'PATCH tags and a delete of the tag being removed, %s first: both succeed, no deadlock',
    async (first, second) => {
      const doomed = await createTag(t, `Doomed ${first}`);
      const kept = await createTag(t, `Kept ${first}`);
      const file: Json = await createMediaFile(t, {
        title: `Raced ${first}`,
        accessLevel: 'public',
        tagIds: [doomed.id, kept.id],
      });

      const barrier = await holdMediaRow(t.databaseUrl, file.id);
      const outcome = await raceInOrder(
        t.databaseUrl,
        barrier,
        {
          patch: () =>
            t.http
              .patch(`/api/files/${file.id}`)
              .set('Authorization', admin)
              .send({ tagIds: [kept.id] }),
          delete: () => t.http.delete(`/api/tags/${doomed.id}`).set('Authorization', admin),
        },
        [first, second],
      );
      expect({ patch: outcome.patch.status, delete: outcome.delete.status }).toEqual({ patch: 200, delete: 204 });
      expect(await arrays(file.id)).toEqual({ tagIds: [kept.id], collectionIds: [] });
    },
  );
});
