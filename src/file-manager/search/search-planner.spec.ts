import { ADMIN, COLLECTION, listQuery, MEMBER, TAG, word } from './search-cases.js';
import { planSearch, type SearchPlan, type TermsSearchPlan } from './search-planner.js';

/** The terms plan of a case (fails the test when the planner chose the media rows). */
function termsPlan(plan: SearchPlan): TermsSearchPlan {
  if (plan.kind !== 'terms') throw new Error(`expected the terms plan, got ${plan.kind}`);
  return plan;
}

const pageSqlOf = (plan: SearchPlan) => (plan.kind === 'terms' ? plan.pageSql(60) : plan.pageSql);

describe('planSearch', () => {
  describe('which index answers', () => {
    it.each([
      ['one word', listQuery({ q: 'sun' }), [word('sun')]],
      ['one word, by date', listQuery({ q: 'sun', ordering: '-createdAt' }), [word('sun')]],
      ['one tag', listQuery({ tagIds: [TAG] }), []],
      [
        'one collection, with a type and dates',
        listQuery({ collectionIds: [COLLECTION], fileType: ['image'], createdAfter: '2026-01-01T00:00:00Z' }),
        [],
      ],
    ])('the terms index for %s', (_, query, words) => {
      expect(planSearch(query, words, MEMBER).kind).toBe('terms');
    });

    it.each([
      ['no criterion', listQuery({}), []],
      ['two words', listQuery({ q: 'beach sun' }), [word('beach'), word('sun')]],
      ['a word and a tag', listQuery({ q: 'sun', tagIds: [TAG] }), [word('sun')]],
      ['a word sorted by title', listQuery({ q: 'sun', ordering: 'title' }), [word('sun')]],
      ['a tag with a size range', listQuery({ tagIds: [TAG], maxSize: 10 }), []],
      ['a tag and a collection', listQuery({ tagIds: [TAG], collectionIds: [COLLECTION] }), []],
    ])('the media rows for %s', (_, query, words) => {
      expect(planSearch(query, words, MEMBER).kind).toBe('media-rows');
    });
  });

  describe('visibility is always in the SQL', () => {
    it.each([
      ['an anonymous caller sees public files only', undefined, "access_level = 'public'", []],
      [
        'a member sees public, members and their own private files',
        MEMBER,
        "access_level IN ('public', 'members')",
        [MEMBER.id],
      ],
      ['an admin sees everything', ADMIN, 'TRUE', []],
    ])('%s', (_, user, condition, viewer) => {
      for (const [query, words] of [
        [listQuery({}), []],
        [listQuery({ q: 'sun' }), [word('sun')]],
      ] as const) {
        const plan = planSearch(query, [...words], user);
        expect(pageSqlOf(plan)).toContain(condition);
        expect(plan.count.sql).toContain(condition);
        expect(plan.params.values.slice(0, viewer.length)).toEqual(viewer);
      }
    });
  });

  it('pages with the page size and offset as the last two parameters', () => {
    const plan = planSearch(listQuery({ page: 4, pageSize: 25 }), [], MEMBER);
    expect(plan.params.values.slice(-2)).toEqual([25, 75]);
    expect(pageSqlOf(plan)).toMatch(/LIMIT \$\d+ OFFSET \$\d+\s*$/);
  });

  it('wants the files up to the end of the page from the terms stream', () => {
    const plan = termsPlan(planSearch(listQuery({ q: 'sun', page: 3, pageSize: 10 }), [word('sun')], MEMBER));
    expect(plan).toMatchObject({ wanted: 30, pageSize: 10 });
    expect(plan.pageSql(70)).toContain('LIMIT 70');
    expect(plan.pageSql(undefined)).not.toMatch(/LIMIT 70|LIMIT \d+\) x/);
  });

  it('spells a known prefix out as whole terms, and reads an unknown one as a range', () => {
    const spelled = termsPlan(
      planSearch(listQuery({ q: 'sun' }), [word('sun')], MEMBER, new Map([['sun', ['sun', 'sunset']]])),
    );
    expect(spelled.params.values).toContainEqual(['sun', 'sunset']);
    expect(spelled.pageSql(60)).not.toContain('^@');

    const ranged = termsPlan(planSearch(listQuery({ q: 'ph' }), [word('ph')], MEMBER, new Map([['ph', undefined]])));
    expect(ranged.pageSql(60)).toContain('s.term ^@');
    expect(ranged.params.values).toContain('ph');
  });

  it('counts one pattern from the counters, and a filtered one over the terms', () => {
    const counters = planSearch(listQuery({ q: 'sun' }), [word('sun')], MEMBER);
    expect(counters.count.sql).toContain('media_search_term_counts');
    const filtered = planSearch(listQuery({ q: 'sun', fileType: ['image'] }), [word('sun')], MEMBER);
    expect(filtered.count.sql).toContain('count(*) AS count FROM media_search_terms s');
    expect(filtered.count.values).toContainEqual(['image']);
    const corrected = planSearch(listQuery({ q: 'sunsett' }), [word('sunsett', 'sunset')], MEMBER);
    expect(corrected.count.sql).toContain('count(DISTINCT s.media_file_id)');
  });

  it('ranks by relevance only when a word is given and no ordering is asked for', () => {
    const words = [word('beach'), word('sun')];
    expect(planSearch(listQuery({ q: 'beach sun' }), words, ADMIN).pageOrder).toBe(
      'page.k0 DESC, page.k1 DESC, page.k2 DESC',
    );
    const byTitle = planSearch(listQuery({ q: 'beach sun', ordering: 'title' }), words, ADMIN);
    expect(pageSqlOf(byTitle)).toContain('m.title AS k0');
    expect(byTitle.pageOrder).toBe('page.k0 ASC, page.k1 ASC');
    const oldest = planSearch(listQuery({ ordering: 'createdAt' }), [], ADMIN);
    expect(pageSqlOf(oldest)).toContain('m.created_at AS k0');
    expect(oldest.pageOrder).toBe('page.k0 ASC, page.k1 ASC');
  });

  it('matches every word through any of its patterns, escaping quotes in the tsquery', () => {
    const plan = planSearch(
      listQuery({ q: "o'neil sun" }),
      [word("o'neil"), word('sun', 'sum')],
      ADMIN,
      new Map([['sun', ['sun']]]),
    );
    expect(plan.params.values).toContain("('o''neil':*) & ('sun' | 'sum')");
  });

  it('fences a tag bitmap combined with another criterion before sorting (OFFSET 0)', () => {
    expect(pageSqlOf(planSearch(listQuery({ tagIds: [TAG], minSize: 1 }), [], MEMBER))).toContain('OFFSET 0) page');
    expect(pageSqlOf(planSearch(listQuery({ minSize: 1 }), [], MEMBER))).not.toContain('OFFSET 0) page');
  });
});
