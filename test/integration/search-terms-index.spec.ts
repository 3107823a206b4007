/**
 * Search answered from the terms index (`media_search_terms`, migration 1764202100000) against search answered from
 * the media rows (GIN over `search_vector`, `tag_ids`, `collection_ids`): the planner picks one by the shape of
 * the query, and both must give the same files, in the same order, with the same count. A size filter that every file
 * passes (`minSize: 0`) sends a query to the media rows, so each query is asked both ways.
 *
 * Then the index itself: kept right by triggers through every change a file goes through (checked with the I5
 * invariant after each), and the checker is shown to notice damage.
 */
import { DataSource } from 'typeorm';
import { MaintenanceJobs } from '../../src/maintenance/maintenance.jobs.js';
import { ObjectStorage } from '../../src/storage/object-storage.js';
import { useTestApp } from '../support/app.js';
import { checkInvariants } from '../support/invariants.js';
import { createCollection, createMediaFile, createTag, listFiles, titles, type Json } from './library-fixtures.js';

describe('Search from the terms index', () => {
  let admin: string;
  let member: { id: string; auth: string };
  let red: Json;
  let blue: Json;
  let album: Json;

  const searchIndexViolations = async () =>
    (await checkInvariants({ dataSource: t.get(DataSource), storage: t.get(ObjectStorage) })).filter(
      (violation) => violation.invariant === 'I5',
    );

  /** The same query through both plans: same ids in the same order, same count. Answers the terms plan's page. */
  async function bothWays(query: Record<string, unknown>, auth?: string): Promise<Json> {
    const fromTerms = await listFiles(t, query, auth);
    const fromRows = await listFiles(t, { ...query, minSize: 0 }, auth);
    const ids = (page: Json) => page.results.map((file: Json) => file.id);
    expect({ query, ids: ids(fromTerms), count: fromTerms.count }).toEqual({
      query,
      ids: ids(fromRows),
      count: fromRows.count,
    });
    expect(new Set(ids(fromTerms)).size).toBe(fromTerms.results.length);
    return fromTerms;
  }

  const t = useTestApp();

  beforeAll(async () => {
    admin = await t.adminAuth();
    member = await t.createUser('member');
    red = await createTag(t, 'Red');
    blue = await createTag(t, 'Blue');
    album = await createCollection(t, { title: 'Album', accessLevel: 'public' });

    await createMediaFile(t, { title: 'Kaloka kalomi sunrise', tagIds: [red.id], accessLevel: 'public' });
    await createMediaFile(t, {
      title: 'Kalora',
      description: 'kaloka in the text',
      tagIds: [red.id, blue.id],
      accessLevel: 'members',
    });
    await createMediaFile(t, {
      title: 'Plain',
      description: 'kalomi',
      collectionIds: [album.id],
      accessLevel: 'private',
      uploader: member.auth,
    });
    await createMediaFile(t, {
      title: 'Staff kalo',
      filename: 'kalo.pdf',
      content: Buffer.from('%PDF-1.4 staff'),
      accessLevel: 'staff',
    });
    // More words starting with "qx" than a prefix is spelled out into (100): that prefix is read as one range.
    await createMediaFile(t, {
      title: 'Many words',
      description: Array.from({ length: 120 }, (_, i) => `qx${i}`).join(' '),
      accessLevel: 'public',
    });
    await createMediaFile(t, { title: 'Qx7 in the title', accessLevel: 'members' });
    // Five words sharing the prefix "kalo" in each: the match stream holds five rows per file, more than the first
    // read of a page expects, so deep pages take the path that reads further.
    for (let i = 0; i < 24; i++) {
      await createMediaFile(t, {
        title: `Bulk ${i} kaloa kalob kaloc kalod kaloe`,
        tagIds: i % 3 === 0 ? [blue.id] : [],
        collectionIds: i % 4 === 0 ? [album.id] : [],
        accessLevel: i % 2 === 0 ? 'public' : 'members',
      });
    }
  });

  it('matches the media rows: words, prefixes, typos, tags, collections, filters, pages, for each caller', async () => {
    const callers = [undefined, member.auth, admin];
    const queries: Array<Record<string, unknown>> = [
      { q: 'kalo' },
      { q: 'kalo', pageSize: 100 },
      { q: 'kaloka' },
      { q: 'kalomi' },
      { q: 'sunrise' },
      { q: 'k' },
      { q: 'kalomii' },
      { q: 'alob' },
      { q: 'kalo', fileType: 'document' },
      { q: 'kalo', accessLevel: ['public', 'private'] },
      { q: 'kalo', createdAfter: '2000-01-01T00:00:00Z', createdBefore: '2100-01-01T00:00:00Z' },
      { q: 'kalo', ordering: 'createdAt' },
      { q: 'kalo', ordering: '-createdAt', pageSize: 7, page: 2 },
      { tagIds: red.id },
      { tagIds: [red.id, blue.id] },
      { tagIds: blue.id, ordering: 'createdAt' },
      { collectionIds: album.id },
      { collectionIds: album.id, pageSize: 2, page: 3 },
      { q: 'kalo', page: 9 },
      { q: 'qx' },
      { q: 'qx', ordering: 'createdAt' },
      { q: 'qx1' },
      { q: 'nothingmatches' },
    ];
    for (const auth of callers) {
      for (const query of queries) await bothWays(query, auth);
      // Page by page through five-rows-per-file matches: every file once, in the order of one big page.
      const all = (await bothWays({ q: 'kalo', pageSize: 100 }, auth)).results.map((file: Json) => file.id);
      const paged: string[] = [];
      for (let page = 1; page <= Math.ceil(all.length / 3) + 1; page++) {
        paged.push(...(await bothWays({ q: 'kalo', pageSize: 3, page }, auth)).results.map((file: Json) => file.id));
      }
      expect(paged).toEqual(all);
    }
  });

  it('counts a file matching a prefix through several of its words once, and ranks title matches first', async () => {
    const page = await listFiles(t, { q: 'kalo', pageSize: 100 }, admin);
    expect(page.count).toBe(28);
    expect(page.results).toHaveLength(28);
    expect(titles(page).slice(-1)).toEqual(['Plain']);
    // A prefix read as one range ranks like any other: the title match first.
    expect(titles(await listFiles(t, { q: 'qx' }, admin))).toEqual(['Qx7 in the title', 'Many words']);
    const kaloka = await listFiles(t, { q: 'kaloka' }, member.auth);
    expect(titles(kaloka)).toEqual(['Kaloka kalomi sunrise', 'Kalora']);
    expect(kaloka.count).toBe(2);
    // A title match outranks a description match, whatever their age.
    expect(titles(await listFiles(t, { q: 'kalomi' }, member.auth))).toEqual(['Kaloka kalomi sunrise', 'Plain']);
    // A typo is corrected to the library's nearest words.
    expect(titles(await listFiles(t, { q: 'kalomii', pageSize: 100 }, member.auth))).toEqual(
      expect.arrayContaining(['Kaloka kalomi sunrise', 'Plain']),
    );
  });

  it('keeps the terms index right through every change a file goes through', async () => {
    const green = await createTag(t, 'Green');
    const shelf = await createCollection(t, { title: 'Shelf', accessLevel: 'public' });
    const file = await createMediaFile(t, {
      title: 'Quokka',
      description: 'first words',
      tagIds: [green.id],
      accessLevel: 'public',
    });
    const patch = (body: Record<string, unknown>) =>
      t.http.patch(`/api/files/${file.id}`).set('Authorization', admin).send(body).expect(200);
    const found = async (query: Record<string, unknown>, auth?: string) =>
      (await bothWays(query, auth)).results.some((f: Json) => f.id === file.id);

    expect(await searchIndexViolations()).toEqual([]);
    expect(await found({ q: 'quokka' })).toBe(true);
    expect(await found({ tagIds: green.id })).toBe(true);

    await patch({ title: 'Wombat', description: 'second words' });
    expect(await found({ q: 'quokka' })).toBe(false);
    expect(await found({ q: 'wombat' })).toBe(true);
    expect(await found({ q: 'second' })).toBe(true);
    expect(await searchIndexViolations()).toEqual([]);

    await patch({ tagIds: [red.id], collectionIds: [shelf.id] });
    expect(await found({ tagIds: green.id })).toBe(false);
    expect(await found({ tagIds: red.id })).toBe(true);
    expect(await found({ collectionIds: shelf.id })).toBe(true);
    expect(await searchIndexViolations()).toEqual([]);

    await t.http.patch(`/api/tags/${red.id}`).set('Authorization', admin).send({ name: 'Crimson' }).expect(200);
    expect(await found({ q: 'crimson' })).toBe(true);
    expect(await searchIndexViolations()).toEqual([]);

    await patch({ accessLevel: 'members' });
    expect(await found({ q: 'wombat' })).toBe(false);
    expect(await found({ q: 'wombat' }, member.auth)).toBe(true);
    expect(await searchIndexViolations()).toEqual([]);

    await t.http.delete(`/api/collections/${shelf.id}`).set('Authorization', admin).expect(204);
    await t.http.delete(`/api/tags/${green.id}`).set('Authorization', admin).expect(204);
    expect(await found({ collectionIds: shelf.id }, admin)).toBe(false);
    expect(await searchIndexViolations()).toEqual([]);

    await t.http.delete(`/api/files/${file.id}`).set('Authorization', admin).expect(204);
    expect(await found({ q: 'wombat' }, admin)).toBe(false);
    expect(await found({ tagIds: red.id }, admin)).toBe(false);
    expect(await searchIndexViolations()).toEqual([]);

    await t.http.post(`/api/trash/${file.id}/restore`).set('Authorization', admin).expect(200);
    expect(await found({ q: 'wombat' }, admin)).toBe(true);
    expect(await found({ tagIds: red.id }, admin)).toBe(true);
    expect(await searchIndexViolations()).toEqual([]);

    await t.http.delete(`/api/files/${file.id}`).set('Authorization', admin).expect(204);
    await t.http.delete(`/api/trash/${file.id}`).set('Authorization', admin).expect(204);
    expect(await found({ q: 'wombat' }, admin)).toBe(false);
    expect(await searchIndexViolations()).toEqual([]);
  });

  it('folds counter changes into the counters without changing any count', async () => {
    const dataSource = t.get(DataSource);
    const pending = async () =>
      Number(
        (await dataSource.query<Array<{ n: string }>>(`SELECT count(*) AS n FROM media_search_term_count_changes`))[0]
          .n,
      );
    const counts = async () =>
      Promise.all(
        [{ q: 'kalo' }, { q: 'kaloka' }, { q: 'sunrise' }, { q: 'k' }].flatMap((query) =>
          [undefined, member.auth, admin].map(async (auth) => (await listFiles(t, query, auth)).count),
        ),
      );
    const before = await counts();
    expect(await pending()).toBeGreaterThan(0);
    const { folded } = await t.get(MaintenanceJobs).run('fold-search-counts');
    expect(folded).toBeGreaterThan(0);
    expect(await pending()).toBe(0);
    expect(await counts()).toEqual(before);
    expect(await searchIndexViolations()).toEqual([]);
    // Changes after a fold land as pending changes again, and count at once.
    await createMediaFile(t, { title: 'Kalomo after the fold', accessLevel: 'public' });
    expect(await pending()).toBeGreaterThan(0);
    expect((await listFiles(t, { q: 'kalo' })).count).toBe(before[0] + 1);
    expect(await searchIndexViolations()).toEqual([]);
  });

  it('the I5 check notices a damaged terms index or counter', async () => {
    const dataSource = t.get(DataSource);
    const [victim] = await dataSource.query<Array<{ term: string; media_file_id: string }>>(
      `SELECT term, media_file_id FROM media_search_terms WHERE term = 'sunrise'`,
    );
    await dataSource.query(`DELETE FROM media_search_terms WHERE term = $1 AND media_file_id = $2`, [
      victim.term,
      victim.media_file_id,
    ]);
    await dataSource.query(
      `INSERT INTO media_search_terms
         (term, media_file_id, weight, created_at, access_level, created_by, file_type, shared_prefix)
       SELECT 'bogus', media_file_id, weight, created_at, access_level, created_by, file_type, 0
         FROM media_search_terms WHERE term = 'kalora'`,
    );
    await dataSource.query(
      `INSERT INTO media_search_term_count_changes (term, shared_prefix, access_level, created_by, files)
       VALUES ('kaloka', 0, 'public', '00000000-0000-0000-0000-000000000000', 1)`,
    );
    try {
      expect(await searchIndexViolations()).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ message: expect.stringMatching(/^missing search term "sunrise"/) }),
          expect.objectContaining({ message: expect.stringMatching(/^stale search term "bogus"/) }),
          expect.objectContaining({ message: expect.stringMatching(/^miscounted search term "kaloka"/) }),
        ]),
      );
    } finally {
      await dataSource.query(`SELECT media_search_rebuild()`);
    }
    expect(await searchIndexViolations()).toEqual([]);
  });
});
