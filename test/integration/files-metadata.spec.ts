import { DataSource } from 'typeorm';
import { useTestApp } from '../support/app.js';
import { createCollection, createMediaFile, createTag, type Json } from './library-fixtures.js';

describe('media file metadata, tags and collections', () => {
  let admin: string;
  let uploader: { id: string; auth: string };
  let other: { id: string; auth: string };

  const t = useTestApp();

  beforeAll(async () => {
    admin = await t.adminAuth();
    uploader = await t.createUser('member');
    other = await t.createUser('member');
  });

  describe('slugs', () => {
    it('are generated from the title, unique with a suffix, never empty', async () => {
      const a = await createMediaFile(t, { title: 'Été 2024: Photos!' });
      const b = await createMediaFile(t, { title: 'ete 2024 photos' });
      const c = await createMediaFile(t, { title: '!!!' });
      expect(a.slug).toBe('ete-2024-photos');
      expect(b.slug).toBe('ete-2024-photos-2');
      expect(c.slug).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      const bySlug = await t.http.get(`/api/files/by-slug/${b.slug}`).set('Authorization', admin).expect(200);
      expect(bySlug.body.id).toBe(b.id);
    });

    it('a taken slug on PATCH is 409 SLUG_TAKEN and changes nothing', async () => {
      const a = await createMediaFile(t, { title: 'First slug' });
      const b = await createMediaFile(t, { title: 'Second slug' });
      const response = await t.http
        .patch(`/api/files/${b.id}`)
        .set('Authorization', admin)
        .send({ slug: a.slug, title: 'Renamed' });
      expect(response.status).toBe(409);
      expect(response.body.code).toBe('SLUG_TAKEN');
      const unchanged = await t.http.get(`/api/files/${b.id}`).set('Authorization', admin).expect(200);
      expect(unchanged.body).toMatchObject({ title: 'Second slug', slug: 'second-slug' });
      const invalid = await t.http.patch(`/api/files/${b.id}`).set('Authorization', admin).send({ slug: 'Not A Slug' });
      expect(invalid.status).toBe(400);
      expect(invalid.body.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('PATCH /api/files/:id', () => {
    it('lets the uploader and admins edit metadata; others get 403, or 404 if they may not see the file', async () => {
      const tag = await createTag(t, 'Patchable');
      const collection = await createCollection(t, { title: 'Patch collection', accessLevel: 'members' });
      const file = await createMediaFile(t, { title: 'Mine', uploader: uploader.auth, accessLevel: 'members' });

      const changed = await t.http
        .patch(`/api/files/${file.id}`)
        .set('Authorization', uploader.auth)
        .send({
          title: 'Mine, renamed',
          description: 'new words',
          tagIds: [tag.id],
          collectionIds: [collection.id],
          accessLevel: 'public',
        });
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({
        title: 'Mine, renamed',
        slug: file.slug, // stable: links keep working
        description: 'new words',
        accessLevel: 'public',
        tags: [{ id: tag.id, name: 'Patchable', slug: 'patchable' }],
        collections: [{ id: collection.id, title: 'Patch collection', slug: 'patch-collection' }],
      });
      // Strictly later: `>=` would also hold for a PATCH that left updatedAt as it was.
      expect(Date.parse(changed.body.updatedAt)).toBeGreaterThan(Date.parse(file.updatedAt));

      expect(
        (await t.http.patch(`/api/files/${file.id}`).set('Authorization', other.auth).send({ title: 'x' })).status,
      ).toBe(403);
      expect((await t.http.patch(`/api/files/${file.id}`).send({ title: 'x' })).status).toBe(401);
      await t.http
        .patch(`/api/files/${file.id}`)
        .set('Authorization', admin)
        .send({ accessLevel: 'private', tagIds: [] })
        .expect(200);
      expect(
        (await t.http.patch(`/api/files/${file.id}`).set('Authorization', other.auth).send({ title: 'x' })).status,
      ).toBe(404);
      const final = await t.http.get(`/api/files/${file.id}`).set('Authorization', uploader.auth).expect(200);
      expect(final.body).toMatchObject({ accessLevel: 'private', tags: [], title: 'Mine, renamed' });
    });

    it('refuses unknown tags or collections with a code and changes nothing', async () => {
      const file = await createMediaFile(t, { title: 'Untouched' });
      const unknownTag = await t.http
        .patch(`/api/files/${file.id}`)
        .set('Authorization', admin)
        .send({ title: 'Changed?', tagIds: ['00000000-0000-4000-8000-000000000001'] });
      expect(unknownTag.status).toBe(400);
      expect(unknownTag.body).toMatchObject({
        code: 'UNKNOWN_TAGS',
        details: { tagIds: ['00000000-0000-4000-8000-000000000001'] },
      });
      const unknownCollection = await t.http
        .patch(`/api/files/${file.id}`)
        .set('Authorization', admin)
        .send({ title: 'Changed?', collectionIds: ['00000000-0000-4000-8000-000000000002'] });
      expect(unknownCollection.status).toBe(400);
      expect(unknownCollection.body.code).toBe('UNKNOWN_COLLECTIONS');
      // A private collection of someone else is unknown to a member.
      const hidden = await createCollection(t, { title: 'Hidden', accessLevel: 'private' });
      const mine = await createMediaFile(t, { title: 'Member file', uploader: uploader.auth });
      const refused = await t.http
        .patch(`/api/files/${mine.id}`)
        .set('Authorization', uploader.auth)
        .send({ collectionIds: [hidden.id] });
      expect(refused.body.code).toBe('UNKNOWN_COLLECTIONS');
      expect((await t.http.get(`/api/files/${file.id}`).set('Authorization', admin)).body.title).toBe('Untouched');
    });

    it('refuses unknown tags on approve (existing behaviour)', async () => {
      const upload = await t.http
        .post('/api/uploads')
        .set('Authorization', admin)
        .attach('files', Buffer.from('approve me'), 'a.txt');
      const response = await t.http
        .post(`/api/pending/${upload.body.results[0].pendingFile.id}/approve`)
        .set('Authorization', admin)
        .send({ title: 'x', tagIds: ['00000000-0000-4000-8000-000000000003'] });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('UNKNOWN_TAGS');
    });
  });

  describe('tags', () => {
    it('has full CRUD with case-insensitive unique names', async () => {
      const created = await t.http
        .post('/api/tags')
        .set('Authorization', uploader.auth)
        .send({ name: 'Night Sky', color: '#112233', description: 'stars' });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: expect.any(String),
        name: 'Night Sky',
        slug: 'night-sky',
        color: '#112233',
        description: 'stars',
        fileCount: 0,
      });
      const duplicate = await t.http.post('/api/tags').set('Authorization', other.auth).send({ name: 'night sky' });
      expect(duplicate.status).toBe(409);
      expect(duplicate.body.code).toBe('TAG_EXISTS');
      expect((await t.http.post('/api/tags').send({ name: 'anonymous' })).status).toBe(401);

      const fetched = await t.http.get(`/api/tags/${created.body.id}`).expect(200);
      expect(fetched.body.name).toBe('Night Sky');
      const listed = await t.http.get('/api/tags').query({ q: 'nIGHT' }).expect(200);
      expect(listed.body).toMatchObject({ count: 1, results: [{ id: created.body.id }] });
      expect((await t.http.get('/api/tags').query({ q: '%' }).expect(200)).body.count).toBe(0);

      expect(
        (await t.http.patch(`/api/tags/${created.body.id}`).set('Authorization', other.auth).send({ color: null }))
          .status,
      ).toBe(403);
      const renamed = await t.http
        .patch(`/api/tags/${created.body.id}`)
        .set('Authorization', uploader.auth)
        .send({ name: 'Night sky!', color: null });
      expect(renamed.status).toBe(200);
      expect(renamed.body).toMatchObject({ name: 'Night sky!', slug: 'night-sky', color: null });
      const clash = await createTag(t, 'Clashing');
      const renameClash = await t.http
        .patch(`/api/tags/${created.body.id}`)
        .set('Authorization', admin)
        .send({ name: 'CLASHING' });
      expect(renameClash.body.code).toBe('TAG_EXISTS');
      const slugClash = await t.http
        .patch(`/api/tags/${created.body.id}`)
        .set('Authorization', admin)
        .send({ slug: clash.slug });
      expect(slugClash.body.code).toBe('SLUG_TAKEN');

      expect((await t.http.delete(`/api/tags/${created.body.id}`).set('Authorization', other.auth)).status).toBe(403);
      await t.http.delete(`/api/tags/${created.body.id}`).set('Authorization', uploader.auth).expect(204);
      expect((await t.http.get(`/api/tags/${created.body.id}`)).status).toBe(404);
      expect((await t.http.get('/api/tags/not-a-uuid')).status).toBe(400);
    });

    it('gives tags with the same slug base distinct slugs', async () => {
      const a = await createTag(t, 'C++');
      const b = await createTag(t, 'C');
      expect([a.slug, b.slug].sort()).toEqual(['c', 'c-2']);
    });

    it('paginates the list', async () => {
      const page = await t.http.get('/api/tags').query({ pageSize: 2, page: 1 }).expect(200);
      expect(page.body.results).toHaveLength(2);
      expect(page.body.hasNext).toBe(true);
    });
  });

  describe('collections', () => {
    it('has full CRUD; fileCount counts active files the caller may see', async () => {
      const tag = await createTag(t, 'Collection tag');
      const created = await t.http
        .post('/api/collections')
        .set('Authorization', uploader.auth)
        .send({ title: 'Trip to Oslo', description: 'June', accessLevel: 'public', tagIds: [tag.id] });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        title: 'Trip to Oslo',
        slug: 'trip-to-oslo',
        description: 'June',
        accessLevel: 'public',
        tags: [{ id: tag.id, name: 'Collection tag', slug: 'collection-tag' }],
        fileCount: 0,
      });
      const id = created.body.id;
      const inCollection = { collectionIds: [id] };
      await createMediaFile(t, { title: 'Oslo public', accessLevel: 'public', ...inCollection });
      await createMediaFile(t, { title: 'Oslo members', accessLevel: 'members', ...inCollection });
      await createMediaFile(t, { title: 'Oslo staff', accessLevel: 'staff', ...inCollection });
      await createMediaFile(t, {
        title: 'Oslo private',
        accessLevel: 'private',
        uploader: uploader.auth,
        ...inCollection,
      });
      const trashed = await createMediaFile(t, { title: 'Oslo trashed', accessLevel: 'public', ...inCollection });
      await t.http.delete(`/api/files/${trashed.id}`).set('Authorization', admin).expect(204);

      expect((await t.http.get(`/api/collections/${id}`)).body.fileCount).toBe(1);
      expect((await t.http.get(`/api/collections/${id}`).set('Authorization', other.auth)).body.fileCount).toBe(2);
      expect((await t.http.get(`/api/collections/${id}`).set('Authorization', uploader.auth)).body.fileCount).toBe(3);
      expect((await t.http.get(`/api/collections/${id}`).set('Authorization', admin)).body.fileCount).toBe(4);
      const files = await t.http
        .get('/api/files')
        .query({ collectionIds: id })
        .set('Authorization', other.auth)
        .expect(200);
      expect(files.body.count).toBe(2);

      const duplicateSlug = await t.http
        .post('/api/collections')
        .set('Authorization', other.auth)
        .send({ title: 'Trip to Oslo' });
      expect(duplicateSlug.body.slug).toBe('trip-to-oslo-2');
      const takenSlug = await t.http
        .post('/api/collections')
        .set('Authorization', other.auth)
        .send({ title: 'x', slug: 'trip-to-oslo' });
      expect(takenSlug.status).toBe(409);
      expect(takenSlug.body.code).toBe('SLUG_TAKEN');
      const unknownTag = await t.http
        .post('/api/collections')
        .set('Authorization', other.auth)
        .send({ title: 'y', tagIds: ['00000000-0000-4000-8000-000000000009'] });
      expect(unknownTag.body.code).toBe('UNKNOWN_TAGS');

      const listed = await t.http.get('/api/collections').query({ q: 'oslo' }).expect(200);
      expect(listed.body.results.map((c: Json) => c.title)).toEqual(['Trip to Oslo']); // the -2 copy is `members`

      expect(
        (await t.http.patch(`/api/collections/${id}`).set('Authorization', other.auth).send({ title: 'x' })).status,
      ).toBe(403);
      const updated = await t.http
        .patch(`/api/collections/${id}`)
        .set('Authorization', uploader.auth)
        .send({ title: 'Oslo, June', accessLevel: 'private', tagIds: [] });
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({
        title: 'Oslo, June',
        slug: 'trip-to-oslo',
        accessLevel: 'private',
        tags: [],
      });
      expect((await t.http.get(`/api/collections/${id}`).set('Authorization', other.auth)).status).toBe(404);
      expect((await t.http.delete(`/api/collections/${id}`).set('Authorization', other.auth)).status).toBe(404);
      await t.http.delete(`/api/collections/${id}`).set('Authorization', admin).expect(204);
      expect((await t.http.get(`/api/collections/${id}`).set('Authorization', admin)).status).toBe(404);
      // The files stay.
      const still = await t
        .get(DataSource)
        .query(`SELECT count(*)::int AS n FROM media_files WHERE title LIKE 'Oslo %'`);
      expect(still[0].n).toBe(5);
    });
  });

  it('keeps the visible-count summary equal to a recount after approvals, level changes, trash, restore', async () => {
    const file = await createMediaFile(t, { title: 'Counted', accessLevel: 'public', uploader: uploader.auth });
    await t.http
      .patch(`/api/files/${file.id}`)
      .set('Authorization', admin)
      .send({ accessLevel: 'private' })
      .expect(200);
    await t.http.delete(`/api/files/${file.id}`).set('Authorization', admin).expect(204);
    await t.http.post(`/api/trash/${file.id}/restore`).set('Authorization', admin).expect(200);
    const [summary, recount] = await Promise.all([
      t.get(DataSource).query(
        `SELECT access_level, created_by, file_type, sum(active)::int AS n FROM media_file_counts
          GROUP BY 1, 2, 3 HAVING sum(active) <> 0 ORDER BY 1, 2, 3`,
      ),
      t.get(DataSource).query(
        `SELECT access_level, media_count_owner(access_level, created_by) AS created_by, file_type, count(*)::int AS n
           FROM media_files WHERE deleted_at IS NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      ),
    ]);
    expect(summary).toEqual(recount);
    for (const auth of [undefined, uploader.auth, other.auth, admin]) {
      const request = t.http.get('/api/files');
      if (auth) request.set('Authorization', auth);
      const listed = await request.expect(200);
      const all = await (auth
        ? t.http.get('/api/files').query({ minSize: 0 }).set('Authorization', auth)
        : t.http.get('/api/files').query({ minSize: 0 }));
      expect(listed.body.count).toBe(all.body.count); // summary count vs. a real count (a size filter forces one)
    }
  });
});
