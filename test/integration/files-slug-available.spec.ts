import { useTestApp } from '../support/app.js';
import { createMediaFile } from './library-fixtures.js';

/** `GET /api/files/slug-available?slug=`: whether a slug is free, and what the allocator would give. */
describe('media file slug availability', () => {
  const t = useTestApp();
  let admin: string;
  let member: string;

  beforeAll(async () => {
    admin = await t.adminAuth();
    member = (await t.createUser('member')).auth;
  });

  const check = (slug: string, auth = member) =>
    t.http.get('/api/files/slug-available').query({ slug }).set('Authorization', auth);

  it('answers available for a free slug, with itself as the suggestion', async () => {
    const response = await check('nobody-has-this');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ slug: 'nobody-has-this', available: true, suggestion: 'nobody-has-this' });
  });

  it('a taken slug (active or trashed) is not available; the suggestion is the next free suffix', async () => {
    await createMediaFile(t, { title: 'Harbour view' });
    expect((await check('harbour-view')).body).toEqual({
      slug: 'harbour-view',
      available: false,
      suggestion: 'harbour-view-2',
    });
    const second = await createMediaFile(t, { title: 'Harbour view' });
    expect(second.slug).toBe('harbour-view-2');
    await t.http.delete(`/api/files/${second.id}`).set('Authorization', admin).expect(204);
    // Trashed files keep their slug: the allocator skips it too.
    expect((await check('harbour-view')).body.suggestion).toBe('harbour-view-3');
    expect((await check('harbour-view-2')).body).toMatchObject({ available: false, suggestion: 'harbour-view-2-2' });
    const third = await createMediaFile(t, { title: 'Harbour view' });
    expect(third.slug).toBe('harbour-view-3');
  });

  it('text that is no slug is not available; the suggestion is its slug', async () => {
    expect((await check('Été à Paris!')).body).toEqual({
      slug: 'Été à Paris!',
      available: false,
      suggestion: 'ete-a-paris',
    });
  });

  it('needs authentication and a slug', async () => {
    const anonymous = await t.http.get('/api/files/slug-available').query({ slug: 'x' });
    expect(anonymous.status).toBe(401);
    const missing = await t.http.get('/api/files/slug-available').set('Authorization', member);
    expect(missing.status).toBe(400);
    expect(missing.body.code).toBe('VALIDATION_FAILED');
  });
});
