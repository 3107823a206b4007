import { useTestApp } from '../support/app.js';
import { expectInvariants } from '../support/invariants.js';
import { bothOrders, holdMediaRow, raceInOrder } from '../support/race.js';
import { createCollection, createMediaFile, createTag, listFiles, titles, type Json } from './library-fixtures.js';

/** `POST /api/tags/:id/merge {intoTagId}` (admin): the source goes, its files and collections carry the target. */
describe('tag merge', () => {
  const t = useTestApp({ env: { ORPHAN_GRACE_MINUTES: '0' } });
  let admin: string;
  let member: { id: string; auth: string };

  beforeAll(async () => {
    admin = await t.adminAuth();
    member = await t.createUser('member');
  });

  const merge = (id: string, intoTagId: string, auth = admin) =>
    t.http.post(`/api/tags/${id}/merge`).set('Authorization', auth).send({ intoTagId });
  const tagsOf = async (id: string): Promise<string[]> =>
    (await t.http.get(`/api/files/${id}`).set('Authorization', admin).expect(200)).body.tags.map(
      (tag: Json) => tag.name,
    );

  it('moves files and collections to the target once, deletes the source, keeps search right', async () => {
    const source = await createTag(t, 'Seaside');
    const target = await createTag(t, 'Coast');
    const onlySource = await createMediaFile(t, { title: 'Pier at dusk', tagIds: [source.id] });
    const both = await createMediaFile(t, { title: 'Dunes', tagIds: [source.id, target.id] });
    const onlyTarget = await createMediaFile(t, { title: 'Cliffs', tagIds: [target.id] });
    const collection = await createCollection(t, { title: 'Shore', tagIds: [source.id] });
    expect(titles(await listFiles(t, { q: 'seaside' }, admin)).sort()).toEqual(['Dunes', 'Pier at dusk']);

    const response = await merge(source.id, target.id);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ...target, fileCount: 3 });

    expect((await t.http.get(`/api/tags/${source.id}`)).status).toBe(404);
    expect(await tagsOf(onlySource.id)).toEqual(['Coast']);
    expect(await tagsOf(both.id)).toEqual(['Coast']);
    expect(await tagsOf(onlyTarget.id)).toEqual(['Coast']);
    const shore = await t.http.get(`/api/collections/${collection.id}`).set('Authorization', admin).expect(200);
    expect(shore.body.tags.map((tag: Json) => tag.id)).toEqual([target.id]);

    // The search index follows: the old name finds nothing, the target's name and id find all three.
    expect((await listFiles(t, { q: 'seaside' }, admin)).count).toBe(0);
    expect(titles(await listFiles(t, { q: 'coast' }, admin)).sort()).toEqual(['Cliffs', 'Dunes', 'Pier at dusk']);
    expect((await listFiles(t, { tagIds: target.id }, admin)).count).toBe(3);
    expect((await listFiles(t, { tagIds: source.id }, admin)).count).toBe(0);
    await expectInvariants(t);
  });

  it('is for admins; refuses itself (400), an unknown target (400 UNKNOWN_TAGS) or source (404)', async () => {
    const source = await createTag(t, 'Kept source', member.auth);
    const target = await createTag(t, 'Kept target');
    const file = await createMediaFile(t, { title: 'Kept', tagIds: [source.id] });

    expect((await merge(source.id, target.id, member.auth)).status).toBe(403);
    const itself = await merge(source.id, source.id);
    expect(itself.status).toBe(400);
    expect(itself.body.code).toBe('BAD_REQUEST');
    const unknownTarget = await merge(source.id, '00000000-0000-4000-8000-000000000007');
    expect(unknownTarget.status).toBe(400);
    expect(unknownTarget.body).toMatchObject({
      code: 'UNKNOWN_TAGS',
      details: { tagIds: ['00000000-0000-4000-8000-000000000007'] },
    });
    expect((await merge('00000000-0000-4000-8000-000000000008', target.id)).status).toBe(404);
    expect((await merge(source.id, 'nope')).status).toBe(400);
    expect(await tagsOf(file.id)).toEqual(['Kept source']);
    expect((await t.http.get(`/api/tags/${source.id}`)).status).toBe(200);
  });

  it.each(bothOrders('merge', 'patch'))(
    'a merge and a PATCH setting the source tag on one of its files, %s first: no deadlock, the later sees the earlier',
    async (first, second) => {
      const source = await createTag(t, `Raced source ${first}`);
      const target = await createTag(t, `Raced target ${first}`);
      const extra = await createTag(t, `Raced extra ${first}`);
      const file = await createMediaFile(t, { title: `Raced merge ${first}`, tagIds: [source.id] });

      const barrier = await holdMediaRow(t.databaseUrl, file.id);
      const outcome = await raceInOrder(
        t.databaseUrl,
        barrier,
        {
          merge: () => merge(source.id, target.id),
          patch: () =>
            t.http
              .patch(`/api/files/${file.id}`)
              .set('Authorization', admin)
              .send({ tagIds: [source.id, extra.id] }),
        },
        [first, second],
      );
      expect(outcome.merge.status).toBe(200);
      if (first === 'merge') {
        // The source is gone by the time the PATCH may lock it: an unknown tag, nothing changes.
        expect([outcome.patch.status, outcome.patch.body.code]).toEqual([400, 'UNKNOWN_TAGS']);
        expect(await tagsOf(file.id)).toEqual([target.name]);
      } else {
        expect(outcome.patch.status).toBe(200);
        expect(await tagsOf(file.id)).toEqual([extra.name, target.name].sort());
      }
      await expectInvariants(t);
    },
  );
});
