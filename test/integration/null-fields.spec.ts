/**
 * A JSON `null` for a field that may be left out is not "leave it as it is": where the field has no empty value (a
 * title, a slug, a role, a list of ids) it answers 400 VALIDATION_FAILED naming the field, and nothing changes. Only
 * fields whose views are nullable take it (a tag's color). Before, class-validator's `IsOptional` let `null` through
 * and the database refused it: 500 (the fuzz spec's seed 1100601469, `PATCH /api/tags/:id {"slug": null}`).
 */
import type { Response } from 'supertest';
import { useTestApp } from '../support/app.js';
import { expectError } from '../support/errors.js';
import { content, createMediaFile, upload } from '../support/files.js';

function expectRefusedField(response: Response, field: string): void {
  expectError(response, 400, 'VALIDATION_FAILED');
  const { fields } = response.body.details as { fields: Array<{ field: string }> };
  expect(fields.map((entry) => entry.field)).toEqual([field]);
}

describe('null for a field that may be left out', () => {
  const t = useTestApp();
  let admin: string;

  beforeAll(async () => {
    admin = await t.adminAuth();
  });

  it('PATCH /api/tags/:id: 400 for every field but color, which null clears', async () => {
    const created = await t.http
      .post('/api/tags')
      .set('Authorization', admin)
      .send({ name: 'nulls', color: '#ff8800' });
    const tag = created.body as { id: string; name: string; slug: string; description: string };

    for (const field of ['name', 'slug', 'description']) {
      const response = await t.http
        .patch(`/api/tags/${tag.id}`)
        .set('Authorization', admin)
        .send({ [field]: null });
      expectRefusedField(response, field);
    }
    const unchanged = await t.http.get(`/api/tags/${tag.id}`).set('Authorization', admin);
    expect(unchanged.body).toMatchObject({ name: tag.name, slug: tag.slug, description: tag.description });

    const cleared = await t.http.patch(`/api/tags/${tag.id}`).set('Authorization', admin).send({ color: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.color).toBeNull();
  });

  it('POST /api/tags: 400 for a null slug or description', async () => {
    for (const field of ['slug', 'description']) {
      const response = await t.http
        .post('/api/tags')
        .set('Authorization', admin)
        .send({ name: `create-${field}`, [field]: null });
      expectRefusedField(response, field);
    }
  });

  it('PATCH /api/collections/:id and POST /api/collections: 400 for every null field', async () => {
    const collection = (await t.http.post('/api/collections').set('Authorization', admin).send({ title: 'nulls' }))
      .body as { id: string; title: string; slug: string };

    for (const field of ['title', 'slug', 'description', 'accessLevel', 'tagIds']) {
      const patched = await t.http
        .patch(`/api/collections/${collection.id}`)
        .set('Authorization', admin)
        .send({ [field]: null });
      expectRefusedField(patched, field);
      if (field === 'title') continue;
      const created = await t.http
        .post('/api/collections')
        .set('Authorization', admin)
        .send({ title: `create-${field}`, [field]: null });
      expectRefusedField(created, field);
    }
    const unchanged = await t.http.get(`/api/collections/${collection.id}`).set('Authorization', admin);
    expect(unchanged.body).toMatchObject({ title: collection.title, slug: collection.slug });
  });

  it('PATCH /api/files/:id and POST /api/pending/:id/approve: 400 for every null field', async () => {
    const { mediaId } = await createMediaFile(t, admin, content(), { title: 'Nulls' });
    const { pendingFile } = await upload(t, admin, content());
    const fields = ['slug', 'description', 'tagIds', 'collectionIds', 'accessLevel', 'metadata', 'annotation'];

    for (const field of ['title', ...fields]) {
      const patched = await t.http
        .patch(`/api/files/${mediaId}`)
        .set('Authorization', admin)
        .send({ [field]: null });
      expectRefusedField(patched, field);
    }
    for (const field of fields) {
      const approved = await t.http
        .post(`/api/pending/${pendingFile!.id}/approve`)
        .set('Authorization', admin)
        .send({ title: 'Approved', [field]: null });
      expectRefusedField(approved, field);
    }
    const file = await t.http.get(`/api/files/${mediaId}`).set('Authorization', admin);
    expect(file.body).toMatchObject({ title: 'Nulls' });
    const pending = await t.http.get(`/api/pending/${pendingFile!.id}`).set('Authorization', admin);
    expect(pending.body.status).toBe('pending');
  });

  it('POST /api/pending/:id/reject and the users endpoints: 400 for every null field', async () => {
    const { pendingFile } = await upload(t, admin, content());
    expectRefusedField(
      await t.http.post(`/api/pending/${pendingFile!.id}/reject`).set('Authorization', admin).send({ reason: null }),
      'reason',
    );

    const user = await t.createUser('member');
    for (const field of ['role', 'disabled']) {
      const response = await t.http
        .patch(`/api/users/${user.id}`)
        .set('Authorization', admin)
        .send({ [field]: null });
      expectRefusedField(response, field);
    }
    const created = await t.http
      .post('/api/users')
      .set('Authorization', admin)
      .send({ email: 'null-name@test.local', password: 'a long enough password', role: 'member', name: null });
    expectRefusedField(created, 'name');
  });
});
