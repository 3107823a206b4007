import { useTestApp } from '../support/app.js';
import { expectInvariants } from '../support/invariants.js';
import { bothOrders, holdMediaRow, raceInOrder } from '../support/race.js';
import { createCollection, createMediaFile, createTag, type Json } from './library-fixtures.js';

/**
 * A bulk edit is one short transaction per file, in id order, each locking like its single-file request (tags and
 * collections FOR SHARE in id order, then the one media row): it interleaves with single-file edits of the same
 * files, in either order, and never deadlocks with them, with a tag deletion, or with another bulk edit.
 */
describe('bulk edits racing single-file edits', () => {
  const t = useTestApp({ env: { ORPHAN_GRACE_MINUTES: '0' } });
  let admin: string;

  beforeAll(async () => {
    admin = await t.adminAuth();
  });

  const tagIdsOf = async (id: string): Promise<string[]> =>
    (await t.http.get(`/api/files/${id}`).set('Authorization', admin).expect(200)).body.tags
      .map((tag: Json) => tag.id)
      .sort();

  it.each(bothOrders('bulk', 'patch'))(
    'bulk addTags and a PATCH setting the tags of the same file, %s first: both succeed, in that order',
    async (first, second) => {
      const added = await createTag(t, `Bulk added ${first}`);
      const set = await createTag(t, `Patch set ${first}`);
      const files: Json[] = [
        await createMediaFile(t, { title: `Raced one ${first}` }),
        await createMediaFile(t, { title: `Raced two ${first}` }),
      ];
      // The bulk edit reaches the file with the lower id first: the barrier holds that one.
      const [raced, later] = files.sort((a, b) => (a.id < b.id ? -1 : 1));

      const barrier = await holdMediaRow(t.databaseUrl, raced.id);
      const outcome = await raceInOrder(
        t.databaseUrl,
        barrier,
        {
          bulk: () =>
            t.http
              .post('/api/files/bulk')
              .set('Authorization', admin)
              .send({ ids: [later.id, raced.id], action: 'addTags', tagIds: [added.id] }),
          patch: () =>
            t.http
              .patch(`/api/files/${raced.id}`)
              .set('Authorization', admin)
              .send({ tagIds: [set.id] }),
        },
        [first, second],
      );
      expect([outcome.bulk.status, outcome.patch.status]).toEqual([200, 200]);
      expect(outcome.bulk.body.summary).toEqual({ total: 2, ok: 2, errors: 0 });
      // PATCH replaces the tags: after the bulk edit only its own remain; before it, the bulk edit adds to them.
      const expected = first === 'bulk' ? [set.id] : [added.id, set.id].sort();
      expect(await tagIdsOf(raced.id)).toEqual(expected);
      expect(await tagIdsOf(later.id)).toEqual([added.id]);
    },
  );

  it.each(bothOrders('bulk', 'patch'))(
    'bulk trash and a PATCH of the same file, %s first: the later one sees the earlier one',
    async (first, second) => {
      const file: Json = await createMediaFile(t, { title: `Trashed race ${first}` });
      const barrier = await holdMediaRow(t.databaseUrl, file.id);
      const outcome = await raceInOrder(
        t.databaseUrl,
        barrier,
        {
          bulk: () =>
            t.http
              .post('/api/files/bulk')
              .set('Authorization', admin)
              .send({ ids: [file.id], action: 'trash' }),
          patch: () => t.http.patch(`/api/files/${file.id}`).set('Authorization', admin).send({ title: 'Renamed' }),
        },
        [first, second],
      );
      expect(outcome.bulk.status).toBe(200);
      expect(outcome.bulk.body.results[0]).toEqual({ id: file.id, status: 'ok' });
      if (first === 'patch') {
        // The PATCH committed first: it answers the file as it left it, although the trash follows at once.
        expect(outcome.patch.status).toBe(200);
        expect(outcome.patch.body).toMatchObject({ id: file.id, title: 'Renamed' });
      } else {
        // A PATCH after the move to the trash finds no active file.
        expect(outcome.patch.status).toBe(404);
      }
      const trashed = await t.http.get('/api/trash').set('Authorization', admin).expect(200);
      const inTrash = trashed.body.results.find((entry: Json) => entry.id === file.id);
      expect(inTrash?.title).toBe(first === 'patch' ? 'Renamed' : `Trashed race ${first}`);
    },
  );

  it('bulk edits in both orders, PATCHes in reverse order and a tag deletion at once: no error, no 5xx', async () => {
    const red = await createTag(t, 'Storm red');
    const blue = await createTag(t, 'Storm blue');
    const doomed = await createTag(t, 'Storm doomed');
    const shelf = await createCollection(t, { title: 'Storm shelf' });
    const files: Json[] = [];
    for (let i = 0; i < 12; i += 1) {
      files.push(await createMediaFile(t, { title: `Storm ${i}`, tagIds: [doomed.id, red.id] }));
    }
    const ids = files.map((file) => file.id).sort();
    const reversed = [...ids].reverse();

    const bulk = (body: Record<string, unknown>) =>
      t.http.post('/api/files/bulk').set('Authorization', admin).send(body);
    const responses = await Promise.all([
      bulk({ ids, action: 'addTags', tagIds: [blue.id, doomed.id] }),
      bulk({ ids: reversed, action: 'removeTags', tagIds: [red.id] }),
      bulk({ ids: reversed, action: 'addToCollections', collectionIds: [shelf.id] }),
      bulk({ ids, action: 'setAccessLevel', accessLevel: 'public' }),
      ...reversed.map((id) =>
        t.http
          .patch(`/api/files/${id}`)
          .set('Authorization', admin)
          .send({ tagIds: [blue.id, red.id] }),
      ),
      t.http.delete(`/api/tags/${doomed.id}`).set('Authorization', admin),
    ]);

    const statuses = responses.map((response) => response.status);
    expect(statuses).toEqual([200, 200, 200, 200, ...reversed.map(() => 200), 204]);
    for (const response of responses.slice(0, 4)) {
      // Every item ok, except addTags of a file after the doomed tag went (UNKNOWN_TAGS, its single-file answer).
      const failed = response.body.results.filter((r: Json) => r.status === 'error');
      expect(failed.map((r: Json) => r.error.code).filter((code: string) => code !== 'UNKNOWN_TAGS')).toEqual([]);
    }
    for (const id of ids) {
      const view = (await t.http.get(`/api/files/${id}`).set('Authorization', admin).expect(200)).body;
      expect(view.accessLevel).toBe('public');
      expect(view.collections.map((c: Json) => c.id)).toEqual([shelf.id]);
      expect(view.tags.map((tag: Json) => tag.id)).not.toContain(doomed.id);
    }
    await expectInvariants(t);
  });
});
