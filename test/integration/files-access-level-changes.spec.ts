import { DataSource } from 'typeorm';
import { useTestApp } from '../support/app.js';
import { createCollection, createMediaFile, type Json } from './library-fixtures.js';

/** Issue 13 item 8: a change that would hide the record from its own author is refused, not saved then 404. */
describe('setting an access level the caller could not read', () => {
  let admin: string;
  let member: { id: string; auth: string };

  const t = useTestApp();

  beforeAll(async () => {
    admin = await t.adminAuth();
    member = await t.createUser('member');
  });

  const expectRefused = (response: Json, accessLevel: string) => {
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ code: 'ACCESS_LEVEL_NOT_ALLOWED', details: { accessLevel } });
  };

  it("refuses a member's PATCH of their own file to staff and changes nothing", async () => {
    const file = await createMediaFile(t, { title: 'My file', accessLevel: 'members', uploader: member.auth });
    const refused = await t.http
      .patch(`/api/files/${file.id}`)
      .set('Authorization', member.auth)
      .send({ title: 'Renamed', accessLevel: 'staff' });
    expectRefused(refused, 'staff');
    const after = await t.http.get(`/api/files/${file.id}`).set('Authorization', member.auth).expect(200);
    expect(after.body).toMatchObject({ title: 'My file', accessLevel: 'members', updatedAt: file.updatedAt });

    // Levels the member still reads are theirs to set.
    for (const accessLevel of ['private', 'public', 'members']) {
      const changed = await t.http
        .patch(`/api/files/${file.id}`)
        .set('Authorization', member.auth)
        .send({ accessLevel });
      expect(changed.status).toBe(200);
      expect(changed.body.accessLevel).toBe(accessLevel);
    }
    // An admin reads every level.
    const byAdmin = await t.http
      .patch(`/api/files/${file.id}`)
      .set('Authorization', admin)
      .send({ accessLevel: 'staff' });
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.accessLevel).toBe('staff');
  });

  it('refuses a member creating a staff collection, and creates nothing', async () => {
    const before = await collectionCount();
    const refused = await t.http
      .post('/api/collections')
      .set('Authorization', member.auth)
      .send({ title: 'Staff album', accessLevel: 'staff' });
    expectRefused(refused, 'staff');
    expect(await collectionCount()).toBe(before);

    const privately = await createCollection(t, { title: 'My private album', accessLevel: 'private' }, member.auth);
    expect(privately.accessLevel).toBe('private');
    const byAdmin = await createCollection(t, { title: 'Admin staff album', accessLevel: 'staff' }, admin);
    expect(byAdmin.accessLevel).toBe('staff');
  });

  it("refuses a member's PATCH of their own collection to staff and changes nothing", async () => {
    const album = await createCollection(t, { title: 'Holiday', accessLevel: 'members' }, member.auth);
    const refused = await t.http
      .patch(`/api/collections/${album.id}`)
      .set('Authorization', member.auth)
      .send({ title: 'Renamed', accessLevel: 'staff' });
    expectRefused(refused, 'staff');
    const after = await t.http.get(`/api/collections/${album.id}`).set('Authorization', member.auth).expect(200);
    expect(after.body).toMatchObject({ title: 'Holiday', accessLevel: 'members' });

    const changed = await t.http
      .patch(`/api/collections/${album.id}`)
      .set('Authorization', member.auth)
      .send({ accessLevel: 'private' });
    expect(changed.status).toBe(200);
    expect(changed.body.accessLevel).toBe('private');
    const byAdmin = await t.http
      .patch(`/api/collections/${album.id}`)
      .set('Authorization', admin)
      .send({ accessLevel: 'staff' });
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.accessLevel).toBe('staff');
  });

  async function collectionCount(): Promise<number> {
    const [{ n }] = await t.get(DataSource).query(`SELECT count(*)::int AS n FROM collections`);
    return n as number;
  }
});
