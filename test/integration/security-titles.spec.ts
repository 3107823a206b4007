/**
 * Titles and names made only of invisible or bidi-control characters are refused (400) wherever one is accepted:
 * they display as nothing, or as something else than what they are.
 */
import { useTestApp } from '../support/app.js';
import { content, createMediaFile, upload } from '../support/files.js';

const INVISIBLE_TITLES = [
  '\u202e\u202c',
  '\u200b\u200d\u2060',
  '\u3164',
  '\u2066\u2069\u200e',
  '\u2800\u00a0',
  '\ufeff\u00ad',
];

describe('security: invisible titles and names', () => {
  const t = useTestApp();
  let admin: string;

  const expectRefused = (response: { status: number; body: Record<string, unknown> }, field: string) => {
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(JSON.stringify(response.body.details)).toContain(field);
  };

  beforeAll(async () => {
    admin = await t.adminAuth();
  });

  it.each(INVISIBLE_TITLES.map((title) => [JSON.stringify(title), title]))(
    'refuses %s everywhere',
    async (_, title) => {
      expectRefused(await t.http.post('/api/collections').set('Authorization', admin).send({ title }), 'title');
      expectRefused(await t.http.post('/api/tags').set('Authorization', admin).send({ name: title }), 'name');

      const collection = await t.http.post('/api/collections').set('Authorization', admin).send({ title: 'Visible' });
      const patchCollection = t.http.patch(`/api/collections/${collection.body.id}`).set('Authorization', admin);
      expectRefused(await patchCollection.send({ title }), 'title');
      const tag = await t.http
        .post('/api/tags')
        .set('Authorization', admin)
        .send({ name: `visible ${collection.body.id}` });
      expectRefused(
        await t.http.patch(`/api/tags/${tag.body.id}`).set('Authorization', admin).send({ name: title }),
        'name',
      );

      const pending = await upload(t, admin, content());
      const approve = t.http.post(`/api/pending/${pending.pendingFile!.id}/approve`).set('Authorization', admin);
      expectRefused(await approve.send({ title }), 'title');
      const bulk = await t.http
        .post('/api/pending/bulk-approve')
        .set('Authorization', admin)
        .send({ approvals: [{ pendingFileId: pending.pendingFile!.id, title }] });
      expectRefused(bulk, 'approvals.0.title');

      const file = await createMediaFile(t, admin);
      expectRefused(
        await t.http.patch(`/api/files/${file.mediaId}`).set('Authorization', admin).send({ title }),
        'title',
      );

      const email = `u${Date.now()}${Math.random().toString(16).slice(2)}@example.com`;
      const user = { email, password: 'long-enough-pass-1', role: 'member', name: title };
      expectRefused(await t.http.post('/api/users').set('Authorization', admin).send(user), 'name');
    },
  );

  it('refuses an uploaded file whose name shows nothing: BAD_FILENAME', async () => {
    const result = await upload(t, admin, content(), '\u202e\u200b\u2800');
    expect(result).toMatchObject({ status: 'error', error: { code: 'BAD_FILENAME' } });
  });

  it('keeps accepting visible titles wrapped in bidi controls', async () => {
    const response = await t.http
      .post('/api/collections')
      .set('Authorization', admin)
      .send({ title: '\u2067عطلة\u2069' });
    expect(response.status).toBe(201);
  });
});
