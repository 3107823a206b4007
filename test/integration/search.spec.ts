import { DataSource } from 'typeorm';
import { useTestApp } from '../support/app.js';
import { createCollection, createMediaFile, createTag, listFiles, png, titles, type Json } from './library-fixtures.js';

describe('GET /api/files: search, filters, ordering', () => {
  let admin: string;
  let member: { id: string; auth: string };
  const files: Record<string, Json> = {};
  let landscape: Json;
  let portrait: Json;
  let holidays: Json;

  const t = useTestApp();

  beforeAll(async () => {
    admin = await t.adminAuth();
    member = await t.createUser('member');
    landscape = await createTag(t, 'Landscape');
    portrait = await createTag(t, 'Portrait');
    holidays = await createCollection(t, { title: 'Holidays', accessLevel: 'public' });

    const specs: Array<[string, Parameters<typeof createMediaFile>[1], { createdAt: string; downloads: number }]> = [
      [
        'sunset',
        {
          title: 'Sunset over the sea',
          filename: 'IMG_2041.jpg',
          content: png(300, 1),
          tagIds: [landscape.id],
          collectionIds: [holidays.id],
          accessLevel: 'public',
        },
        { createdAt: '2024-01-10T00:00:00Z', downloads: 5 },
      ],
      [
        'mountains',
        {
          title: 'Mountains at dawn',
          filename: 'alps.png',
          content: png(100, 2),
          description: 'a sunset seen from far away',
          tagIds: [landscape.id],
          accessLevel: 'members',
        },
        { createdAt: '2024-02-10T00:00:00Z', downloads: 50 },
      ],
      [
        'grandma',
        {
          title: 'Grandma',
          filename: 'family-portrait.pdf',
          content: Buffer.from('%PDF-1.4 grandma'),
          tagIds: [portrait.id],
          accessLevel: 'public',
        },
        { createdAt: '2024-03-10T00:00:00Z', downloads: 0 },
      ],
      [
        'report',
        { title: 'Annual report', filename: 'report.txt', content: Buffer.alloc(200, 3), accessLevel: 'staff' },
        { createdAt: '2024-04-10T00:00:00Z', downloads: 7 },
      ],
      [
        'secret',
        {
          title: 'Secret sunset',
          filename: 'secret.txt',
          content: Buffer.alloc(400, 4),
          accessLevel: 'private',
          uploader: member.auth,
        },
        { createdAt: '2024-05-10T00:00:00Z', downloads: 1 },
      ],
      [
        'trashed',
        { title: 'Trashed sunset', filename: 'gone.txt', content: Buffer.alloc(500, 5), accessLevel: 'public' },
        { createdAt: '2024-06-10T00:00:00Z', downloads: 2 },
      ],
    ];
    for (const [key, input] of specs) files[key] = await createMediaFile(t, input);

    // Dates and counters are set directly: the API never lets anyone choose them.
    const dataSource = t.get(DataSource);
    for (const [key, , facts] of specs) {
      await dataSource.query(`UPDATE media_files SET created_at = $2, download_count = $3 WHERE id = $1`, [
        files[key].id,
        facts.createdAt,
        facts.downloads,
      ]);
    }
    expect((await t.http.delete(`/api/files/${files.trashed.id}`).set('Authorization', admin)).status).toBe(204);
  });

  it('lists what each caller may see, newest first by default, with the contract page shape', async () => {
    const anonymous = await listFiles(t, {});
    expect(titles(anonymous)).toEqual(['Grandma', 'Sunset over the sea']);
    expect(anonymous).toMatchObject({
      count: 2,
      page: 1,
      pageSize: 20,
      totalPages: 1,
      hasNext: false,
      hasPrevious: false,
    });

    expect(titles(await listFiles(t, {}, member.auth))).toEqual([
      'Secret sunset',
      'Grandma',
      'Mountains at dawn',
      'Sunset over the sea',
    ]);
    const other = await t.createUser('member');
    expect(titles(await listFiles(t, {}, other.auth))).toEqual(['Grandma', 'Mountains at dawn', 'Sunset over the sea']);
    expect(titles(await listFiles(t, {}, admin))).toEqual([
      'Secret sunset',
      'Annual report',
      'Grandma',
      'Mountains at dawn',
      'Sunset over the sea',
    ]);
  });

  it('paginates with the right counts', async () => {
    const first = await listFiles(t, { pageSize: 2 }, admin);
    expect(first).toMatchObject({ count: 5, page: 1, pageSize: 2, totalPages: 3, hasNext: true, hasPrevious: false });
    const last = await listFiles(t, { pageSize: 2, page: 3 }, admin);
    expect(titles(last)).toEqual(['Sunset over the sea']);
    expect(last).toMatchObject({ hasNext: false, hasPrevious: true });
    const beyond = await listFiles(t, { pageSize: 2, page: 9 }, admin);
    expect(beyond).toMatchObject({ results: [], count: 5 });
  });

  it('matches words in title, tag names, original filename and description, best matches first', async () => {
    // Title matches outrank a description match; equally relevant files come newest first.
    expect(titles(await listFiles(t, { q: 'sunset' }, member.auth))).toEqual([
      'Secret sunset',
      'Sunset over the sea',
      'Mountains at dawn',
    ]);
    // Equal relevance: newest first.
    expect(titles(await listFiles(t, { q: 'landscape' }, member.auth))).toEqual([
      'Mountains at dawn',
      'Sunset over the sea',
    ]);
    expect(titles(await listFiles(t, { q: 'img 2041' }))).toEqual(['Sunset over the sea']);
    expect(titles(await listFiles(t, { q: 'family portrait' }))).toEqual(['Grandma']);
    expect(titles(await listFiles(t, { q: 'far away' }, member.auth))).toEqual(['Mountains at dawn']);
  });

  it('matches prefixes, typos, accents and substrings', async () => {
    expect(titles(await listFiles(t, { q: 'mount' }, member.auth))).toEqual(['Mountains at dawn']);
    expect(titles(await listFiles(t, { q: 'Mountians' }, member.auth))).toEqual(['Mountains at dawn']);
    expect(titles(await listFiles(t, { q: 'grândma' }))).toEqual(['Grandma']);
    expect(titles(await listFiles(t, { q: 'andma' }))).toEqual(['Grandma']);
    expect(titles(await listFiles(t, { q: 'zzzqqq' }))).toEqual([]);
    // Exact words outrank typo matches, whatever their age.
    const typo = await createMediaFile(t, { title: 'Sunsett boulevard', accessLevel: 'public' });
    try {
      // A word of the library is taken as it is: its typo-neighbours are not added to its matches.
      expect(titles(await listFiles(t, { q: 'sunsett' }))).toEqual(['Sunsett boulevard']);
      // A word that matches nothing is corrected to its nearest words.
      expect(titles(await listFiles(t, { q: 'sunsettt' }))).toEqual(['Sunsett boulevard', 'Sunset over the sea']);
      // …and "sunset" is a prefix of "sunsett": both match exactly, newest first.
      expect(titles(await listFiles(t, { q: 'sunset' }))).toEqual(['Sunsett boulevard', 'Sunset over the sea']);
    } finally {
      await t.http.delete(`/api/files/${typo.id}`).set('Authorization', admin).expect(204);
    }
  });

  it('applies visibility and never shows trashed files in search results and counts', async () => {
    const anonymous = await listFiles(t, { q: 'sunset' });
    expect(titles(anonymous)).toEqual(['Sunset over the sea']);
    expect(anonymous.count).toBe(1);
    const asAdmin = await listFiles(t, { q: 'trashed' }, admin);
    expect(asAdmin.count).toBe(0);
  });

  it('sees a tag rename in search at once', async () => {
    const tag = await createTag(t, 'Zephyrine');
    await t.http
      .patch(`/api/files/${files.grandma.id}`)
      .set('Authorization', admin)
      .send({ tagIds: [portrait.id, tag.id] })
      .expect(200);
    expect(titles(await listFiles(t, { q: 'zephyrine' }))).toEqual(['Grandma']);
    await t.http.patch(`/api/tags/${tag.id}`).set('Authorization', admin).send({ name: 'Quillwort' }).expect(200);
    expect(titles(await listFiles(t, { q: 'zephyrine' }))).toEqual([]);
    expect(titles(await listFiles(t, { q: 'quillwort' }))).toEqual(['Grandma']);
    await t.http.delete(`/api/tags/${tag.id}`).set('Authorization', admin).expect(204);
    expect(titles(await listFiles(t, { q: 'quillwort' }))).toEqual([]);
  });

  it('filters by file type, tags, collections, access level, dates and sizes', async () => {
    expect(titles(await listFiles(t, { fileType: 'image' }, admin))).toEqual([
      'Mountains at dawn',
      'Sunset over the sea',
    ]);
    expect(titles(await listFiles(t, { fileType: 'document' }, admin))).toEqual([
      'Secret sunset',
      'Annual report',
      'Grandma',
    ]);
    expect(titles(await listFiles(t, { fileType: ['image', 'audio'] }, admin))).toHaveLength(2);
    expect(titles(await listFiles(t, { tagIds: landscape.id }, admin))).toEqual([
      'Mountains at dawn',
      'Sunset over the sea',
    ]);
    expect(titles(await listFiles(t, { tagIds: [landscape.id, portrait.id] }, admin))).toHaveLength(3);
    expect(titles(await listFiles(t, { tagIds: `${landscape.id},${portrait.id}` }, admin))).toHaveLength(3);
    expect(titles(await listFiles(t, { collectionIds: holidays.id }))).toEqual(['Sunset over the sea']);
    expect(titles(await listFiles(t, { accessLevel: 'staff' }, admin))).toEqual(['Annual report']);
    expect(titles(await listFiles(t, { accessLevel: 'staff' }, member.auth))).toEqual([]);
    expect(
      titles(
        await listFiles(t, { createdAfter: '2024-02-10T00:00:00Z', createdBefore: '2024-04-10T00:00:00Z' }, admin),
      ),
    ).toEqual(['Grandma', 'Mountains at dawn']);
    expect(titles(await listFiles(t, { minSize: 200, maxSize: 400 }, admin))).toEqual([
      'Secret sunset',
      'Annual report',
      'Sunset over the sea',
    ]);
    expect(titles(await listFiles(t, { q: 'sunset', tagIds: landscape.id, minSize: 150 }, admin))).toEqual([
      'Sunset over the sea',
    ]);
  });

  it('orders by title, createdAt, fileSize and downloadCount, both ways', async () => {
    const all = ['Annual report', 'Grandma', 'Mountains at dawn', 'Secret sunset', 'Sunset over the sea'];
    expect(titles(await listFiles(t, { ordering: 'title' }, admin))).toEqual(all);
    expect(titles(await listFiles(t, { ordering: '-title' }, admin))).toEqual([...all].reverse());
    expect(titles(await listFiles(t, { ordering: 'createdAt' }, admin))).toEqual([
      'Sunset over the sea',
      'Mountains at dawn',
      'Grandma',
      'Annual report',
      'Secret sunset',
    ]);
    expect(titles(await listFiles(t, { ordering: '-downloadCount' }, admin))).toEqual([
      'Mountains at dawn',
      'Annual report',
      'Sunset over the sea',
      'Secret sunset',
      'Grandma',
    ]);
    const bySize = (await listFiles(t, { ordering: 'fileSize' }, admin)).results.map((file: Json) => file.fileSize);
    expect(bySize).toEqual([...bySize].sort((a, b) => a - b));
    const bySizeDesc = (await listFiles(t, { ordering: '-fileSize' }, admin)).results.map(
      (file: Json) => file.fileSize,
    );
    expect(bySizeDesc).toEqual([...bySize].reverse());
    // An explicit ordering wins over relevance.
    expect(titles(await listFiles(t, { q: 'sunset', ordering: 'title' }, admin))).toEqual([
      'Mountains at dawn',
      'Secret sunset',
      'Sunset over the sea',
    ]);
  });

  it('refuses bad queries with VALIDATION_FAILED', async () => {
    for (const query of [
      { ordering: 'hash' },
      { tagIds: 'nope' },
      { fileType: 'movie' },
      { minSize: -1 },
      { createdAfter: 'yesterday' },
      { pageSize: 101 },
    ]) {
      const response = await t.http.get('/api/files').query(query);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
    }
  });

  it('returns full media file views with tags and collections', async () => {
    const [sunset] = (await listFiles(t, { q: 'img 2041' })).results;
    expect(sunset).toMatchObject({
      id: files.sunset.id,
      slug: 'sunset-over-the-sea',
      originalFilename: 'IMG_2041.jpg',
      fileSize: 300,
      accessLevel: 'public',
      downloadCount: 5,
      tags: [{ id: landscape.id, name: 'Landscape', slug: 'landscape' }],
      collections: [{ id: holidays.id, title: 'Holidays', slug: 'holidays' }],
      createdBy: { name: 'admin' },
      createdAt: '2024-01-10T00:00:00.000Z',
    });
    // Listed anonymously: the uploader's e-mail address is not shown (issue 13 item 13).
    expect(sunset.createdBy).not.toHaveProperty('email');
    expect(sunset).not.toHaveProperty('search_vector');
    expect(sunset).not.toHaveProperty('searchVector');
  });
});
