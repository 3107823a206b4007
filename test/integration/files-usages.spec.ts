import { DataSource } from 'typeorm';
import { useTestApp } from '../support/app.js';
import { createMediaFile } from './library-fixtures.js';

describe('usages', () => {
  let admin: string;
  let member: { id: string; auth: string };

  const t = useTestApp();

  beforeAll(async () => {
    admin = await t.adminAuth();
    member = await t.createUser('member');
  });

  it('records idempotently, lists, removes, and blocks the trash while in use', async () => {
    const file = await createMediaFile(t, { title: 'Used file', accessLevel: 'members' });
    const usage = { contentType: 'blog.post', contentId: '42' };
    const first = await t.http.post(`/api/files/${file.id}/usages`).set('Authorization', member.auth).send(usage);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ ...usage, createdAt: expect.any(String) });
    const again = await t.http.post(`/api/files/${file.id}/usages`).set('Authorization', member.auth).send(usage);
    expect(again.status).toBe(200);
    expect(again.body.createdAt).toBe(first.body.createdAt);
    await t.http
      .post(`/api/files/${file.id}/usages`)
      .set('Authorization', admin)
      .send({ contentType: 'page', contentId: 'home' })
      .expect(201);

    const listed = await t.http.get(`/api/files/${file.id}/usages`).set('Authorization', member.auth).expect(200);
    expect(listed.body.count).toBe(2);
    expect(listed.body.usages).toEqual([
      { ...usage, createdAt: first.body.createdAt },
      { contentType: 'page', contentId: 'home', createdAt: expect.any(String) },
    ]);
    expect((await t.http.get(`/api/files/${file.id}/usages`)).status).toBe(404); // members-only file, anonymous caller

    const trash = await t.http.delete(`/api/files/${file.id}`).set('Authorization', admin);
    expect(trash.status).toBe(409);
    expect(trash.body.code).toBe('IN_USE');

    await t.http.delete(`/api/files/${file.id}/usages`).set('Authorization', member.auth).send(usage).expect(204);
    await t.http.delete(`/api/files/${file.id}/usages`).set('Authorization', member.auth).send(usage).expect(204);
    await t.http
      .delete(`/api/files/${file.id}/usages`)
      .set('Authorization', admin)
      .send({ contentType: 'page', contentId: 'home' })
      .expect(204);
    expect((await t.http.get(`/api/files/${file.id}/usages`).set('Authorization', admin)).body).toEqual({
      count: 0,
      usages: [],
    });
    await t.http.delete(`/api/files/${file.id}`).set('Authorization', admin).expect(204);

    const onTrashed = await t.http.post(`/api/files/${file.id}/usages`).set('Authorization', admin).send(usage);
    expect(onTrashed.status).toBe(404);
  });

  it('lets only the member who recorded a usage, or an admin, remove it', async () => {
    const other = await t.createUser('member');
    const file = await createMediaFile(t, { title: 'Shared usage', accessLevel: 'members' });
    const mine = { contentType: 'blog.post', contentId: 'mine' };
    const theirs = { contentType: 'blog.post', contentId: 'theirs' };
    await t.http.post(`/api/files/${file.id}/usages`).set('Authorization', member.auth).send(mine).expect(201);
    await t.http.post(`/api/files/${file.id}/usages`).set('Authorization', member.auth).send(theirs).expect(201);

    const refused = await t.http.delete(`/api/files/${file.id}/usages`).set('Authorization', other.auth).send(mine);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'FORBIDDEN', details: {} });
    const listed = await t.http.get(`/api/files/${file.id}/usages`).set('Authorization', other.auth).expect(200);
    expect(listed.body.usages.map((usage: { contentId: string }) => usage.contentId)).toEqual(['mine', 'theirs']);

    await t.http.delete(`/api/files/${file.id}/usages`).set('Authorization', member.auth).send(mine).expect(204);
    await t.http.delete(`/api/files/${file.id}/usages`).set('Authorization', admin).send(theirs).expect(204);
    // Not recorded (any more): removing stays idempotent for anyone who may read the file.
    await t.http.delete(`/api/files/${file.id}/usages`).set('Authorization', other.auth).send(theirs).expect(204);
    expect((await t.http.get(`/api/files/${file.id}/usages`).set('Authorization', admin)).body).toEqual({
      count: 0,
      usages: [],
    });
  });

  it('validates the body and needs authentication to write', async () => {
    const file = await createMediaFile(t, { title: 'Validated', accessLevel: 'public' });
    expect((await t.http.post(`/api/files/${file.id}/usages`).send({ contentType: 'a', contentId: 'b' })).status).toBe(
      401,
    );
    const invalid = await t.http
      .post(`/api/files/${file.id}/usages`)
      .set('Authorization', admin)
      .send({ contentType: '', extra: 1 });
    expect(invalid.status).toBe(400);
    expect(invalid.body.code).toBe('VALIDATION_FAILED');
    const hidden = await createMediaFile(t, { title: 'Staff only', accessLevel: 'staff' });
    expect(
      (
        await t.http
          .post(`/api/files/${hidden.id}/usages`)
          .set('Authorization', member.auth)
          .send({ contentType: 'a', contentId: 'b' })
      ).status,
    ).toBe(404);
  });

  it('never lets a concurrent trash and usage both succeed', async () => {
    const dataSource = t.get(DataSource);
    for (let round = 0; round < 15; round++) {
      const file = await createMediaFile(t, { title: `Race ${round}`, accessLevel: 'public' });
      const [usage, trash] = await Promise.all([
        t.http
          .post(`/api/files/${file.id}/usages`)
          .set('Authorization', admin)
          .send({ contentType: 'race', contentId: String(round) }),
        t.http.delete(`/api/files/${file.id}`).set('Authorization', admin),
      ]);
      const [row] = await dataSource.query(
        `SELECT deleted_at IS NOT NULL AS trashed,
                (SELECT count(*)::int FROM media_usages WHERE media_file_id = $1) AS usages
           FROM media_files WHERE id = $1`,
        [file.id],
      );
      // Exactly one wins: either the usage is recorded and the trash refused, or the file is trashed and the usage
      // refused.
      if (usage.status === 201) {
        expect(trash.status).toBe(409);
        expect(row).toEqual({ trashed: false, usages: 1 });
      } else {
        expect(usage.status).toBe(404);
        expect(trash.status).toBe(204);
        expect(row).toEqual({ trashed: true, usages: 0 });
      }
    }
  });
});
