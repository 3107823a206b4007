import { useTestApp } from '../support/app.js';
import { createMediaFile, createTag, listFiles, type Json } from './library-fixtures.js';

/** A tag's `fileCount`: its active files the caller may see, the `count` of `GET /api/files?tagIds=<id>`. */
describe('tags report fileCount', () => {
  const t = useTestApp();
  let admin: string;
  let owner: { id: string; auth: string };
  let member: { id: string; auth: string };

  beforeAll(async () => {
    admin = await t.adminAuth();
    owner = await t.createUser('member');
    member = await t.createUser('member');
  });

  it('counts the active files the caller may see, in the list and the detail, after create and rename', async () => {
    const tag = await createTag(t, 'Counted');
    expect(tag.fileCount).toBe(0);
    for (const accessLevel of ['public', 'members', 'staff', 'private'] as const) {
      await createMediaFile(t, {
        title: `Counted ${accessLevel}`,
        tagIds: [tag.id],
        accessLevel,
        uploader: owner.auth,
      });
    }
    const trashed = await createMediaFile(t, { title: 'Counted trashed', tagIds: [tag.id], accessLevel: 'public' });
    await t.http.delete(`/api/files/${trashed.id}`).set('Authorization', admin).expect(204);

    const callers: Array<[string, string | undefined, number]> = [
      ['anonymous', undefined, 1],
      ['another member', member.auth, 2],
      ['the uploader', owner.auth, 3],
      ['an admin', admin, 4],
    ];
    for (const [, auth, expected] of callers) {
      const detail = t.http.get(`/api/tags/${tag.id}`);
      const list = t.http.get('/api/tags').query({ q: 'Counted' });
      if (auth) {
        detail.set('Authorization', auth);
        list.set('Authorization', auth);
      }
      expect((await detail.expect(200)).body.fileCount).toBe(expected);
      const listed = (await list.expect(200)).body.results.find((item: Json) => item.id === tag.id);
      expect(listed.fileCount).toBe(expected);
      expect((await listFiles(t, { tagIds: tag.id }, auth)).count).toBe(expected);
    }

    const renamed = await t.http
      .patch(`/api/tags/${tag.id}`)
      .set('Authorization', admin)
      .send({ name: 'Counted again' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Counted again', fileCount: 4 });
  });
});
