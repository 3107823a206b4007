import { useTestApp } from '../support/app.js';
import { createCollection, createMediaFile, listFiles, type Json } from './library-fixtures.js';

type Caller = 'anonymous' | 'another member' | 'uploader' | 'admin';
type Level = 'public' | 'members' | 'staff' | 'private';

/** Who may read a file of each access level (API.md, "Roles and access levels"). */
const MAY_READ: Record<Level, Caller[]> = {
  public: ['anonymous', 'another member', 'uploader', 'admin'],
  members: ['another member', 'uploader', 'admin'],
  staff: ['admin'],
  private: ['uploader', 'admin'],
};

describe('access levels on every read of a media file', () => {
  const auth: Partial<Record<Caller, string>> = {};
  const files = {} as Record<Level, Json>;

  const t = useTestApp();

  beforeAll(async () => {
    auth.admin = await t.adminAuth();
    auth.uploader = (await t.createUser('member')).auth;
    auth['another member'] = (await t.createUser('member')).auth;
    for (const level of ['public', 'members', 'staff', 'private'] as const) {
      files[level] = await createMediaFile(t, {
        title: `A ${level} file`,
        filename: `${level}.txt`,
        accessLevel: level,
        uploader: auth.uploader,
      });
    }
    // A usage on each, so the usage list has something to (not) show.
    for (const level of ['public', 'members', 'staff', 'private'] as const) {
      await t.http
        .post(`/api/files/${files[level].id}/usages`)
        .set('Authorization', auth.admin)
        .send({ contentType: 'page', contentId: level })
        .expect(201);
    }
  });

  const endpoints: Array<{ name: string; path: (file: Json) => string; ok: number }> = [
    { name: 'detail', path: (file) => `/api/files/${file.id}`, ok: 200 },
    { name: 'by-slug', path: (file) => `/api/files/by-slug/${file.slug}`, ok: 200 },
    { name: 'download', path: (file) => `/api/files/${file.id}/download`, ok: 302 },
    { name: 'content', path: (file) => `/api/files/${file.id}/content`, ok: 200 },
    { name: 'usages', path: (file) => `/api/files/${file.id}/usages`, ok: 200 },
  ];
  const cases = (['public', 'members', 'staff', 'private'] as const).flatMap((level) =>
    (['anonymous', 'another member', 'uploader', 'admin'] as const).flatMap((caller) =>
      endpoints.map((endpoint) => ({ level, caller, endpoint })),
    ),
  );

  it.each(cases)('$endpoint.name of a $level file as $caller', async ({ level, caller, endpoint }) => {
    const request = t.http.get(endpoint.path(files[level]));
    if (auth[caller]) request.set('Authorization', auth[caller]);
    const response = await request;
    if (MAY_READ[level].includes(caller)) {
      expect(response.status).toBe(endpoint.ok);
    } else {
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('NOT_FOUND');
    }
  });

  it.each(['anonymous', 'another member', 'uploader', 'admin'] as const)(
    'the list as %s holds exactly the readable files',
    async (caller) => {
      const request = t.http.get('/api/files');
      if (auth[caller]) request.set('Authorization', auth[caller]);
      const response = await request.expect(200);
      const expected = (['public', 'members', 'staff', 'private'] as const).filter((level) =>
        MAY_READ[level].includes(caller),
      );
      expect(response.body.results.map((file: Json) => file.accessLevel).sort()).toEqual([...expected].sort());
      expect(response.body.count).toBe(expected.length);
    },
  );

  it('answers 400 for a malformed id and 404 for an unknown one', async () => {
    for (const suffix of ['', '/download', '/content', '/usages']) {
      expect((await t.http.get(`/api/files/not-a-uuid${suffix}`).set('Authorization', auth.admin!)).status).toBe(400);
      const unknown = await t.http
        .get(`/api/files/00000000-0000-4000-8000-000000000000${suffix}`)
        .set('Authorization', auth.admin!);
      expect(unknown.status).toBe(404);
    }
    expect((await t.http.get('/api/files/by-slug/no-such-slug')).status).toBe(404);
  });

  it('lists, in a visible file, only the collections the caller may see', async () => {
    const shared = await createCollection(t, { title: 'Shared album', accessLevel: 'public' });
    const hidden = await createCollection(t, { title: 'Admin private album', accessLevel: 'private' });
    const file = await createMediaFile(t, {
      title: 'In two albums',
      accessLevel: 'public',
      collectionIds: [shared.id, hidden.id],
    });
    const titlesOf = (view: Json) => view.collections.map((collection: Json) => collection.title);
    const views = async (authorization?: string) => {
      const detail = t.http.get(`/api/files/${file.id}`);
      const bySlug = t.http.get(`/api/files/by-slug/${file.slug}`);
      if (authorization) for (const request of [detail, bySlug]) request.set('Authorization', authorization);
      const listed = (await listFiles(t, { q: 'albums' }, authorization)).results.find(
        (row: Json) => row.id === file.id,
      );
      return [(await detail).body, (await bySlug).body, listed];
    };
    for (const view of await views()) expect(titlesOf(view)).toEqual(['Shared album']);
    for (const view of await views(auth['another member'])) expect(titlesOf(view)).toEqual(['Shared album']);
    for (const view of await views(auth.admin)) expect(titlesOf(view)).toEqual(['Admin private album', 'Shared album']);
  });

  it('hides trashed files from every read', async () => {
    const file = await createMediaFile(t, { title: 'Soon trashed', accessLevel: 'public' });
    await t.http.delete(`/api/files/${file.id}`).set('Authorization', auth.admin!).expect(204);
    for (const path of [
      `/api/files/${file.id}`,
      `/api/files/by-slug/${file.slug}`,
      `/api/files/${file.id}/download`,
      `/api/files/${file.id}/content`,
      `/api/files/${file.id}/usages`,
    ]) {
      expect((await t.http.get(path).set('Authorization', auth.admin!)).status).toBe(404);
    }
  });
});
