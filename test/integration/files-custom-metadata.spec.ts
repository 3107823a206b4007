import { randomBytes } from 'node:crypto';
import { useTestApp } from '../support/app.js';
import { createMediaFile, type Json } from './library-fixtures.js';

/** `metadata`: a free-form JSON object on approve, PATCH and the view; the seed's `annotation` lives in it. */
describe('media file custom metadata', () => {
  const t = useTestApp();
  let admin: string;

  beforeAll(async () => {
    admin = await t.adminAuth();
  });

  async function uploadPending(): Promise<string> {
    const upload = await t.http
      .post('/api/uploads')
      .set('Authorization', admin)
      .attach('files', randomBytes(64), 'note.txt')
      .expect(201);
    return upload.body.results[0].pendingFile.id;
  }

  const get = async (id: string): Promise<Json> =>
    (await t.http.get(`/api/files/${id}`).set('Authorization', admin).expect(200)).body;

  it('is {} when none was given', async () => {
    const file = await createMediaFile(t, { title: 'No metadata' });
    expect(file.metadata).toEqual({});
    expect((await get(file.id)).metadata).toEqual({});
  });

  it('approve keeps the object and the annotation as metadata.annotation', async () => {
    const metadata = { camera: { make: 'Fuji' }, rating: 4, keywords: ['a', 'b'], nothing: null };
    const file = await createMediaFile(t, { title: 'Annotated', metadata, annotation: 'from the seed' } as Json);
    expect(file.metadata).toEqual({ ...metadata, annotation: 'from the seed' });
    expect((await get(file.id)).metadata).toEqual({ ...metadata, annotation: 'from the seed' });
    const listed = await t.http.get('/api/files').query({ q: 'Annotated' }).set('Authorization', admin).expect(200);
    expect(listed.body.results.find((f: Json) => f.id === file.id).metadata.annotation).toBe('from the seed');
  });

  it('PATCH metadata replaces the object; an annotation alone changes only metadata.annotation', async () => {
    const file = await createMediaFile(t, { title: 'Patched metadata', metadata: { a: 1, b: 2 } } as Json);
    const replaced = await t.http
      .patch(`/api/files/${file.id}`)
      .set('Authorization', admin)
      .send({ metadata: { c: 3 } })
      .expect(200);
    expect(replaced.body.metadata).toEqual({ c: 3 });
    const annotated = await t.http
      .patch(`/api/files/${file.id}`)
      .set('Authorization', admin)
      .send({ annotation: 'note' })
      .expect(200);
    expect(annotated.body.metadata).toEqual({ c: 3, annotation: 'note' });
    const titleOnly = await t.http
      .patch(`/api/files/${file.id}`)
      .set('Authorization', admin)
      .send({ title: 'Renamed' })
      .expect(200);
    expect(titleOnly.body.metadata).toEqual({ c: 3, annotation: 'note' });
  });

  it('refuses more than 16 KiB serialized, or anything but an object, with 400 and changes nothing', async () => {
    const file = await createMediaFile(t, { title: 'Bounded', metadata: { kept: true } } as Json);
    const fits = { text: 'x'.repeat(16 * 1024 - '{"text":""}'.length) };
    await t.http.patch(`/api/files/${file.id}`).set('Authorization', admin).send({ metadata: fits }).expect(200);
    const tooLarge = { text: 'x'.repeat(16 * 1024 - '{"text":""}'.length + 1) };
    for (const metadata of [tooLarge, [1, 2], 'text', 5]) {
      const response = await t.http.patch(`/api/files/${file.id}`).set('Authorization', admin).send({ metadata });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
    }
    // The annotation merged into a full object makes it too large.
    const merged = await t.http.patch(`/api/files/${file.id}`).set('Authorization', admin).send({ annotation: 'y' });
    expect(merged.status).toBe(400);
    expect(merged.body.code).toBe('VALIDATION_FAILED');
    expect((await get(file.id)).metadata).toEqual(fits);

    const pendingId = await uploadPending();
    const refused = await t.http
      .post(`/api/pending/${pendingId}/approve`)
      .set('Authorization', admin)
      .send({ title: 'Too large', metadata: tooLarge });
    expect(refused.status).toBe(400);
    const mergedOnApprove = await t.http
      .post(`/api/pending/${pendingId}/approve`)
      .set('Authorization', admin)
      .send({ title: 'Too large', metadata: fits, annotation: 'z' });
    expect(mergedOnApprove.status).toBe(400);
    const pending = await t.http.get(`/api/pending/${pendingId}`).set('Authorization', admin).expect(200);
    expect(pending.body.status).toBe('pending');
  });
});
