/**
 * Issue 13 item 9: another member's upload of pending content used to take the record away from its first uploader
 * (`uploadedBy` changed, their `GET /pending/:id` turned 404). Every member who uploaded the content while it is
 * pending is one of its `uploaders` and keeps seeing it (list, detail, content); `uploadedBy` stays the first.
 */
import { DataSource } from 'typeorm';
import { PendingFileUploaders1764800000000 } from '../../migrations/1764800000000-PendingFileUploaders.js';
import { useTestApp } from '../support/app.js';
import { approve, content, reject, upload } from '../support/files.js';

type Member = { id: string; email: string; auth: string; name: string };

describe('pending files keep every member who uploaded their content', () => {
  let admin: string;
  let first: Member;
  let second: Member;
  let stranger: Member;

  const t = useTestApp();

  const member = async (): Promise<Member> => {
    const user = await t.createUser('member');
    const [{ name }] = await t.get(DataSource).query(`SELECT name FROM users WHERE id = $1`, [user.id]);
    return { ...user, name };
  };

  beforeAll(async () => {
    admin = await t.adminAuth();
    first = await member();
    second = await member();
    stranger = await member();
  });

  const ref = (user: Member, withEmail: boolean) => ({
    id: user.id,
    name: user.name,
    ...(withEmail ? { email: user.email } : {}),
  });
  const listedIds = async (auth: string): Promise<string[]> => {
    const page = await t.http.get('/api/pending').set('Authorization', auth).expect(200);
    return page.body.results.map((row: { id: string }) => row.id);
  };

  it("keeps the first uploader's record theirs when another member uploads the same content", async () => {
    const bytes = content();
    const original = await upload(t, first.auth, bytes, 'mine.txt');
    expect(original.status).toBe('pending');
    const again = await upload(t, second.auth, bytes, 'theirs.txt');
    expect(again.status).toBe('pending_updated');
    const id = again.pendingFile!.id;
    expect(id).toBe(original.pendingFile!.id);

    for (const [viewer, auth] of [
      [first, first.auth],
      [second, second.auth],
    ] as const) {
      const detail = await t.http.get(`/api/pending/${id}`).set('Authorization', auth);
      expect(detail.status).toBe(200);
      // Each uploader sees their own address only.
      expect(detail.body.uploadedBy).toStrictEqual(ref(first, viewer === first));
      expect(detail.body.uploaders).toStrictEqual([ref(first, viewer === first), ref(second, viewer === second)]);
      expect(await listedIds(auth)).toContain(id);
      const bytesBack = await t.http.get(`/api/pending/${id}/content`).set('Authorization', auth);
      expect(bytesBack.status).toBe(200);
      expect(bytesBack.text).toBe(bytes.toString()); // text content: supertest reads it as text
    }
    const asAdmin = await t.http.get(`/api/pending/${id}`).set('Authorization', admin).expect(200);
    expect(asAdmin.body.uploaders).toStrictEqual([ref(first, true), ref(second, true)]);

    // Someone who never uploaded it still does not see it.
    expect((await t.http.get(`/api/pending/${id}`).set('Authorization', stranger.auth)).status).toBe(404);
    expect((await t.http.get(`/api/pending/${id}/content`).set('Authorization', stranger.auth)).status).toBe(404);
    expect(await listedIds(stranger.auth)).not.toContain(id);

    // Uploading it once more adds no one; the approved file is its first uploader's.
    await upload(t, first.auth, bytes, 'mine-again.txt');
    const detail = await t.http.get(`/api/pending/${id}`).set('Authorization', admin).expect(200);
    expect(detail.body.uploaders.map((uploader: { id: string }) => uploader.id)).toEqual([first.id, second.id]);
    const approved = await approve(t, admin, id, { title: 'Shared upload' });
    expect(approved.status).toBe(201);
    expect(approved.body.mediaFile.createdBy.id).toBe(first.id);
  });

  it('starts a new round, with its uploader first, when a decided record is uploaded again', async () => {
    const bytes = content();
    const original = await upload(t, first.auth, bytes);
    expect((await reject(t, admin, original.pendingFile!.id)).status).toBe(200);
    const again = await upload(t, second.auth, bytes);
    expect(again.status).toBe('pending_updated');
    const detail = await t.http
      .get(`/api/pending/${original.pendingFile!.id}`)
      .set('Authorization', second.auth)
      .expect(200);
    expect(detail.body).toMatchObject({ status: 'pending', uploadedBy: ref(second, true) });
    expect(detail.body.uploaders).toStrictEqual([ref(second, true)]);
  });

  it('the migration makes every existing uploader one of their record uploaders', async () => {
    const uploaded = await upload(t, stranger.auth, content());
    const dataSource = t.get(DataSource);
    const runner = dataSource.createQueryRunner();
    const migration = new PendingFileUploaders1764800000000();
    try {
      await migration.down(runner);
      await migration.up(runner);
    } finally {
      await runner.release();
    }
    const pairs = (sql: string) => dataSource.query(`${sql} ORDER BY 1, 2`);
    const recorded = await pairs(`SELECT pending_file_id::text AS a, user_id::text AS b FROM pending_file_uploaders`);
    expect(recorded).toEqual(await pairs(`SELECT id::text AS a, uploaded_by::text AS b FROM pending_files`));
    expect(recorded).toContainEqual({ a: uploaded.pendingFile!.id, b: stranger.id });
  });
});
