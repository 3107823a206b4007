/**
 * Issue 13 item 13: a view names a user by `{id, name}`; their e-mail address only to admins and to the user
 * themself. Anonymous callers used to read every uploader's address off public files. Every path that makes a view:
 * detail, by slug, the list (browse and search), the trash, an upload's `exists` answer, the pending queue.
 */
import { DataSource } from 'typeorm';
import { useTestApp } from '../support/app.js';
import { createMediaFile, type Json } from './library-fixtures.js';

describe('who may read the e-mail address of a user named in a view', () => {
  let admin: string;
  let uploader: { id: string; email: string; auth: string };
  let other: { id: string; email: string; auth: string };
  let name: string;
  let file: Json;
  let content: Buffer;

  const t = useTestApp();

  beforeAll(async () => {
    admin = await t.adminAuth();
    uploader = await t.createUser('member');
    other = await t.createUser('member');
    [{ name }] = await t.get(DataSource).query(`SELECT name FROM users WHERE id = $1`, [uploader.id]);
    content = Buffer.from(`identities ${Math.random()}\n`);
    file = await createMediaFile(t, {
      title: 'Identity sunset',
      content,
      accessLevel: 'public',
      uploader: uploader.auth,
    });
  });

  const withoutEmail = () => ({ id: uploader.id, name });
  const withEmail = () => ({ id: uploader.id, name, email: uploader.email });

  /** The file's view as each reader of an active file gets it. */
  async function activeViews(auth?: string): Promise<Json[]> {
    const get = (path: string) => {
      const request = t.http.get(path);
      if (auth) request.set('Authorization', auth);
      return request.expect(200);
    };
    const detail = await get(`/api/files/${file.id}`);
    const bySlug = await get(`/api/files/by-slug/${file.slug}`);
    const browse = await get('/api/files');
    const search = await get('/api/files?q=sunset');
    const inList = (page: Json) => page.results.find((row: Json) => row.id === file.id);
    return [detail.body, bySlug.body, inList(browse.body), inList(search.body)];
  }

  it.each([
    ['an anonymous caller', () => undefined, withoutEmail],
    ['another member', () => other.auth, withoutEmail],
    ['the uploader', () => uploader.auth, withEmail],
    ['an admin', () => admin, withEmail],
  ])('detail, by-slug and the lists as %s', async (_, auth, expected) => {
    const views = await activeViews(auth());
    expect(views).toHaveLength(4);
    for (const view of views) expect(view.createdBy).toStrictEqual(expected());
  });

  it("answers another member's upload of the same content without the address", async () => {
    const answer = await t.http
      .post('/api/uploads')
      .set('Authorization', other.auth)
      .attach('files', content, 'again.txt');
    expect(answer.status).toBe(201);
    expect(answer.body.results[0]).toMatchObject({ status: 'exists', mediaFile: { id: file.id } });
    expect(answer.body.results[0].mediaFile.createdBy).toStrictEqual(withoutEmail());
  });

  it('names the uploader of a pending file with the address to themself and admins', async () => {
    const uploaded = await t.http
      .post('/api/uploads')
      .set('Authorization', uploader.auth)
      .attach('files', Buffer.from(`pending ${Math.random()}\n`), 'queued.txt');
    const pending = uploaded.body.results[0].pendingFile;
    expect(pending.uploadedBy).toStrictEqual(withEmail());
    for (const auth of [uploader.auth, admin]) {
      const detail = await t.http.get(`/api/pending/${pending.id}`).set('Authorization', auth).expect(200);
      expect(detail.body.uploadedBy).toStrictEqual(withEmail());
      const listed = await t.http.get('/api/pending').set('Authorization', auth).expect(200);
      expect(listed.body.results.find((row: Json) => row.id === pending.id).uploadedBy).toStrictEqual(withEmail());
    }
  });

  it('lists the trash with the address only to the uploader and admins', async () => {
    const trashed = await createMediaFile(t, {
      title: 'Identity trash',
      accessLevel: 'public',
      uploader: uploader.auth,
    });
    expect(trashed.createdBy).toStrictEqual(withEmail()); // the approval's answer, to an admin
    await t.http.delete(`/api/files/${trashed.id}`).set('Authorization', uploader.auth).expect(204);
    for (const auth of [uploader.auth, admin]) {
      const listed = await t.http.get('/api/trash').set('Authorization', auth).expect(200);
      expect(listed.body.results.find((row: Json) => row.id === trashed.id).createdBy).toStrictEqual(withEmail());
    }
  });

  it('shows an admin uploader without the address to members and anonymous callers', async () => {
    const byAdmin = await createMediaFile(t, { title: 'Admin public', accessLevel: 'public' });
    for (const auth of [undefined, uploader.auth]) {
      const request = t.http.get(`/api/files/${byAdmin.id}`);
      if (auth) request.set('Authorization', auth);
      const view = (await request.expect(200)).body;
      expect(view.createdBy).toStrictEqual({ id: byAdmin.createdBy.id, name: 'admin' });
    }
  });
});
