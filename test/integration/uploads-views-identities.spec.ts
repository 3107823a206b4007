/**
 * Issue 13 item 13: a view names a user by `{id, name}`; their e-mail address only to admins and to the user
 * themself. The paths files-views-created-by.spec.ts leaves out: an upload's answers (`exists`, the pending file),
 * the pending queue, an approval, and an admin uploader shown to others.
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
    // Before issue 13 the pending view named the uploader by e-mail only.
    expect(pending.uploadedBy).toStrictEqual(withEmail());
    for (const auth of [uploader.auth, admin]) {
      const detail = await t.http.get(`/api/pending/${pending.id}`).set('Authorization', auth).expect(200);
      expect(detail.body.uploadedBy).toStrictEqual(withEmail());
      const listed = await t.http.get('/api/pending').set('Authorization', auth).expect(200);
      expect(listed.body.results.find((row: Json) => row.id === pending.id).uploadedBy).toStrictEqual(withEmail());
    }
  });

  it("answers an approval with the address, and shows an admin uploader's file to others without it", async () => {
    const approved = await createMediaFile(t, {
      title: 'Identity approved',
      accessLevel: 'public',
      uploader: uploader.auth,
    });
    expect(approved.createdBy).toStrictEqual(withEmail()); // the approval's answer, to an admin
    const byAdmin = await createMediaFile(t, { title: 'Admin public', accessLevel: 'public' });
    for (const auth of [undefined, uploader.auth]) {
      const request = t.http.get(`/api/files/${byAdmin.id}`);
      if (auth) request.set('Authorization', auth);
      const view = (await request.expect(200)).body;
      expect(view.createdBy).toStrictEqual({ id: byAdmin.createdBy.id, name: 'admin' });
    }
  });
});
