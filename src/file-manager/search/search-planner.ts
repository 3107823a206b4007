import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import { readableCondition } from '../access-policy.js';
import { offsetOf } from '../../common/pagination.js';
import { SqlParams } from '../../database/sql.js';
import type { MediaFileListQueryDto, MediaOrderingField } from '../dto/library.dto.js';

/**
 * A way for one query word to match a lexeme: the word itself, as a whole word or the start of one (`prefix`), or
 * one of the library's words standing in for a typo or the middle of a word. `factor` weighs the match in the
 * relevance: 3 for the word as typed, 1 for a stand-in, so exact matches outrank corrections.
 */
export interface TermPattern {
  text: string;
  prefix: boolean;
  factor: number;
}

/** A word of `q`: a file matches it when one of its lexemes matches one of the patterns. */
export type SearchWord = TermPattern[];

/** One ordering key of a page: an expression over the match set's alias, and its direction. */
interface OrderKey {
  expression: string;
  direction: 'ASC' | 'DESC';
}

/** A list query as SQL: see `planSearch`. */
export type SearchPlan = TermsSearchPlan | MediaRowsSearchPlan;

interface PlanBase {
  /** The page's order over its keys (`k0`, `k1`, …), for the outer query that hydrates the page: `page.k0 DESC, …`. */
  pageOrder: string;
  /** Counts every match (a `count` column). */
  count: { sql: string; values: unknown[] };
  params: SqlParams;
}

/** Answered by the media rows: `pageSql` selects `id, k0, k1, …` of one page. */
export interface MediaRowsSearchPlan extends PlanBase {
  kind: 'media-rows';
  pageSql: string;
}

/**
 * Answered by the terms index. The matches are a stream of term rows (a file once per matching term) in the page's
 * order; `pageSql(k)` reads the first `k` rows of the stream (all of them when undefined), keeps each file's first
 * (its best) row and answers the page among those files, with `streamed` (rows read) and `files` (distinct files
 * among them) on every row. A file's first row in the stream carries its own sort keys, so the files seen in the
 * first `k` rows precede every other file: the page is right when `files` reaches `wanted` or `streamed < k` (the
 * stream ended). Otherwise read further (`LibrarySearchService` does).
 */
export interface TermsSearchPlan extends PlanBase {
  kind: 'terms';
  pageSql: (streamLimit: number | undefined) => string;
  /** Files up to the end of the page: offset + page size. */
  wanted: number;
  pageSize: number;
}

const ORDER_COLUMNS: Record<MediaOrderingField, string> = {
  title: 'm.title',
  createdAt: 'm.created_at',
  fileSize: 'm.file_size',
  downloadCount: 'm.download_count',
};

/**
 * A list query as SQL. Two shapes, with the same results, the same relevance and the same order:
 *
 * - **From the terms index** (`media_search_terms`, migration 1764202100000) when the query has exactly one
 *   "term criterion" (one word of `q`, or a tag filter, or a collection filter), no size range, and is sorted by
 *   relevance or creation date. Each matching term's best rows are the first of a backward index-only scan of its
 *   part of the primary key, filtered by visibility and the carried columns (file type, access level, date); a
 *   prefix is spelled out into its terms first. The page merges those rows, one per file; the count comes from the
 *   per-term counters (with a type or date filter: an index-only scan of the term's range). Only the page's rows
 *   are read from `media_files`.
 * - **From the media rows** otherwise: several criteria intersect best as bitmaps over the GIN indexes
 *   (`search_vector`, `tag_ids`, `collection_ids`), and orderings by title, size or downloads need the row anyway.
 *   The relevance is computed from the row's vector (`rankExpression`) with the same definition the terms carry.
 */
export function planSearch(
  query: MediaFileListQueryDto,
  words: SearchWord[],
  user?: AuthenticatedUser,
  expansions: PrefixExpansions = new Map(),
): SearchPlan {
  return answerableFromTerms(query, words)
    ? planFromTerms(query, words, user, expansions)
    : planFromMediaRows(query, words, user, expansions);
}

/**
 * The terms index answers queries with one term criterion, no size or capture-time range, sorted by relevance or
 * date.
 */
function answerableFromTerms(query: MediaFileListQueryDto, words: SearchWord[]): boolean {
  const criteria = words.length + (query.tagIds?.length ? 1 : 0) + (query.collectionIds?.length ? 1 : 0);
  const ordering = query.ordering?.replace(/^-/, '');
  return (
    criteria === 1 &&
    query.minSize === undefined &&
    query.maxSize === undefined &&
    !query.takenAfter &&
    !query.takenBefore &&
    (ordering === undefined || ordering === 'createdAt')
  );
}

/**
 * The terms that start with each prefix of the query (`LibrarySearchService.searchWords`), or undefined for a
 * prefix with too many of them: a prefix's matches are then read as one index range instead of term by term.
 */
export type PrefixExpansions = Map<string, string[] | undefined>;

function planFromTerms(
  query: MediaFileListQueryDto,
  words: SearchWord[],
  user: AuthenticatedUser | undefined,
  expansions: PrefixExpansions,
): TermsSearchPlan {
  const params = new SqlParams();
  const patterns: TermPattern[] =
    words[0] ??
    (query.tagIds?.length
      ? query.tagIds.map((id) => ({ text: `:tag:${id}`, prefix: false, factor: 0 }))
      : query.collectionIds!.map((id) => ({ text: `:collection:${id}`, prefix: false, factor: 0 })));

  const filter = termFilter(query, user, params);

  const relevance = words.length > 0 && !query.ordering;
  const direction = relevance || (query.ordering ?? '-createdAt').startsWith('-') ? 'DESC' : 'ASC';
  // The primary key orders each term's rows by (weight, created_at, media_file_id): read backwards, that is the
  // relevance order within one term, and the date order for a tag or collection (their weight is constant).
  const termOrder = relevance
    ? 's.weight DESC, s.created_at DESC, s.media_file_id DESC'
    : `s.created_at ${direction}, s.media_file_id ${direction}`;
  const streamOrder = relevance
    ? 's.score DESC, s.created_at DESC, s.media_file_id DESC'
    : `s.created_at ${direction}, s.media_file_id ${direction}`;

  // Whole terms: the patterns' words, and each prefix's terms when it has few enough (`PrefixExpansions`).
  const terms: Array<{ text: string; factor: number }> = [];
  const ranges: Array<{ match: string; factor: number }> = [];
  for (const pattern of patterns) {
    const expanded = pattern.prefix ? expansions.get(pattern.text) : [pattern.text];
    if (expanded) terms.push(...expanded.map((text) => ({ text, factor: pattern.factor })));
    else ranges.push({ match: `s.term ^@ ${params.add(pattern.text)}`, factor: pattern.factor });
  }
  const termsParam = terms.length ? params.add(terms.map((term) => term.text)) : undefined;
  const factorsParam = terms.length ? params.add(terms.map((term) => term.factor)) : undefined;
  // The matches, a row per (file, matching term); the first `perTerm` rows of each term suffice for a stream prefix
  // of that length.
  const stream = (perTerm: number | undefined) =>
    [
      ...(termsParam
        ? [
            `SELECT x.media_file_id, x.score, x.created_at
               FROM unnest(${termsParam}::text[], ${factorsParam}::integer[]) AS t (term, factor)
              CROSS JOIN LATERAL (
                SELECT s.media_file_id, s.weight * t.factor AS score, s.created_at FROM media_search_terms s
                 WHERE s.term = t.term AND ${filter}
                 ORDER BY ${termOrder} ${perTerm === undefined ? '' : `LIMIT ${perTerm}`}) x`,
          ]
        : []),
      ...ranges.map(
        ({ match, factor }) => `SELECT s.media_file_id, s.weight * ${factor} AS score, s.created_at
                                  FROM media_search_terms s WHERE ${match} AND ${filter}`,
      ),
      // Nothing to read when no term starts with the prefix (the filter is named so its parameters have types).
      `SELECT s.media_file_id, 0 AS score, s.created_at FROM media_search_terms s WHERE false AND ${filter}`,
    ].join(' UNION ALL ');

  // Exactly one row per matching file: a whole word or a tag (unique per file), or the first of a file's words that
  // start with one prefix (`shared_prefix`, see migration 1764202100000). Otherwise de-duplicate.
  const [single] = patterns.length === 1 ? patterns : [];
  const countParams = new SqlParams();
  // The single pattern's rows, over the alias of the terms or of their counters.
  const singleMatch = (pattern: TermPattern, alias: string) => {
    const term = countParams.add(pattern.text);
    return pattern.prefix
      ? `${alias}.term ^@ ${term} AND ${alias}.shared_prefix < char_length(${term})`
      : `${alias}.term = ${term}`;
  };
  let countSql: string;
  if (single && !query.fileType?.length && !query.createdAfter && !query.createdBefore) {
    // Per-term counters (migration 1764202100000): a few rows per term instead of a row per match.
    const counters = [countParams.named(readableCondition(user, 'c'))];
    if (query.accessLevel?.length)
      counters.push(`c.access_level = ANY(${countParams.add(query.accessLevel)}::access_level[])`);
    // The counters and the changes not folded into them yet (see the migration), read in one snapshot.
    countSql = `SELECT coalesce(sum(c.files), 0) AS count
                  FROM (SELECT term, shared_prefix, access_level, created_by, files FROM media_search_term_counts
                        UNION ALL
                        SELECT term, shared_prefix, access_level, created_by, files
                          FROM media_search_term_count_changes) c
                 WHERE ${singleMatch(single, 'c')} AND ${counters.join(' AND ')}`;
  } else if (single) {
    const filter = termFilter(query, user, countParams);
    countSql = `SELECT count(*) AS count FROM media_search_terms s WHERE ${singleMatch(single, 's')} AND ${filter}`;
  } else {
    // The same stream, read in full, with the stream's parameters (the page's, without limit and offset).
    countParams.values.push(...params.values);
    countSql = `SELECT count(DISTINCT s.media_file_id) AS count FROM (${stream(undefined)}) s`;
  }

  const order: OrderKey[] = [
    ...(relevance ? [{ expression: 'files.rank', direction: 'DESC' } as const] : []),
    { expression: 'files.created_at', direction },
    { expression: 'files.id', direction },
  ];
  const limit = params.add(query.pageSize);
  const skip = params.add(offsetOf(query));
  return {
    kind: 'terms',
    pageSql: (streamLimit) => `
      WITH stream AS (
        SELECT s.media_file_id, s.score, s.created_at FROM (${stream(streamLimit)}) s
         ORDER BY ${streamOrder} ${streamLimit === undefined ? '' : `LIMIT ${Math.trunc(streamLimit)}`}
      ), files AS (
        SELECT DISTINCT ON (s.media_file_id) s.media_file_id AS id, s.score AS rank, s.created_at
          FROM stream s ORDER BY s.media_file_id, ${streamOrder}
      )
      SELECT files.id, ${keys(order)},
             (SELECT count(*) FROM stream) AS streamed, (SELECT count(*) FROM files) AS files
        FROM files
       ORDER BY ${order.map((key) => `${key.expression} ${key.direction}`).join(', ')}
       LIMIT ${limit} OFFSET ${skip}`,
    pageOrder: pageOrder(order),
    count: { sql: countSql, values: countParams.values },
    params,
    wanted: offsetOf(query) + query.pageSize,
    pageSize: query.pageSize,
  };
}

function planFromMediaRows(
  query: MediaFileListQueryDto,
  words: SearchWord[],
  user: AuthenticatedUser | undefined,
  expansions: PrefixExpansions,
): MediaRowsSearchPlan {
  const params = new SqlParams();
  const where = ['m.deleted_at IS NULL', params.named(readableCondition(user))];
  if (words.length) where.push(`m.search_vector @@ ${params.add(toTsquery(words, expansions))}::tsquery`);
  if (query.fileType?.length) where.push(`m.file_type = ANY(${params.add(query.fileType)}::file_type[])`);
  if (query.accessLevel?.length) where.push(`m.access_level = ANY(${params.add(query.accessLevel)}::access_level[])`);
  // Denormalised, trigger-kept copies of the links (migration 1764202000000): one GIN bitmap each, combined
  // with the other conditions before any row is read, instead of a semi-join probed row by row.
  if (query.tagIds?.length) where.push(`m.tag_ids && ${params.add(query.tagIds)}::uuid[]`);
  if (query.collectionIds?.length) where.push(`m.collection_ids && ${params.add(query.collectionIds)}::uuid[]`);
  if (query.createdAfter) where.push(`m.created_at >= ${params.add(query.createdAfter)}::timestamptz`);
  if (query.createdBefore) where.push(`m.created_at < ${params.add(query.createdBefore)}::timestamptz`);
  if (query.minSize !== undefined) where.push(`m.file_size >= ${params.add(query.minSize)}`);
  if (query.maxSize !== undefined) where.push(`m.file_size <= ${params.add(query.maxSize)}`);
  const taken = takenCondition(query, params);
  if (taken) where.push(taken);
  const condition = where.join(' AND ');
  const countValues = [...params.values];

  let order: OrderKey[];
  if (words.length && !query.ordering) {
    order = [
      { expression: rankExpression(words, params, expansions), direction: 'DESC' },
      { expression: 'm.created_at', direction: 'DESC' },
      { expression: 'm.id', direction: 'DESC' },
    ];
  } else if (!query.ordering || query.ordering.replace(/^-/, '') === 'createdAt') {
    order = dateOrder(query.ordering, 'm');
  } else {
    const direction = query.ordering.startsWith('-') ? 'DESC' : 'ASC';
    order = [
      { expression: ORDER_COLUMNS[query.ordering.replace(/^-/, '') as MediaOrderingField], direction },
      { expression: 'm.id', direction },
    ];
  }
  const limit = params.add(query.pageSize);
  const skip = params.add(offsetOf(query));
  // A tag or collection filter combined with another criterion: its matches come from GIN bitmaps, and a page sorted
  // by a column those bitmaps don't order needs all of them anyway. Left alone, the planner walks the date index
  // probing each row for the tag (a few thousand rows for one page); fenced (OFFSET 0), the subquery is one bitmap
  // scan and the page a top-N sort of its narrow rows (measured on the 1M-file benchmark: ~11 ms instead of ~20).
  const fenced = !words.length && (query.tagIds?.length || query.collectionIds?.length);
  const pageSql = fenced
    ? `SELECT id, ${order.map((_, index) => `k${index}`).join(', ')}
         FROM (SELECT m.id, ${keys(order)} FROM media_files m WHERE ${condition} OFFSET 0) page
        ORDER BY ${pageOrder(order)}
        LIMIT ${limit} OFFSET ${skip}`
    : `SELECT m.id, ${keys(order)} FROM media_files m WHERE ${condition}
        ORDER BY ${order.map((key) => `${key.expression} ${key.direction}`).join(', ')}
        LIMIT ${limit} OFFSET ${skip}`;
  return {
    kind: 'media-rows',
    pageSql,
    pageOrder: pageOrder(order),
    count: { sql: `SELECT count(*) AS count FROM media_files m WHERE ${condition}`, values: countValues },
    params,
  };
}

/**
 * The capture-time range (`takenAfter` inclusive, `takenBefore` exclusive) over the content's extracted `takenAt`
 * (`rendition_jobs.media_info`, one row per content). `takenAt` is always canonical UTC ISO (`toISOString()`, held by a
 * CHECK of migration 1765100000000), so comparing the text compares the instants, and the bounds are written the same
 * way. A semi-join the planner can drive from either side: the expression index on `takenAt` when the range is
 * narrow, or the page's own index probing each row's content by primary key when most files match.
 */
function takenCondition(query: MediaFileListQueryDto, params: SqlParams): string | undefined {
  if (!query.takenAfter && !query.takenBefore) return undefined;
  const range: string[] = [];
  const takenAt = `(j.media_info->>'takenAt')`;
  if (query.takenAfter) range.push(`${takenAt} >= ${params.add(canonicalInstant(query.takenAfter))}`);
  if (query.takenBefore) range.push(`${takenAt} < ${params.add(canonicalInstant(query.takenBefore))}`);
  return `EXISTS (SELECT 1 FROM rendition_jobs j WHERE j.hash = m.hash AND ${range.join(' AND ')})`;
}

/** An ISO 8601 date or date-time (validated at the edge) as `takenAt` is stored: UTC, milliseconds, `Z`. */
function canonicalInstant(value: string): string {
  return new Date(value).toISOString();
}

/** Visibility and the filters the terms carry (file type, access level, dates), over the terms alias `s`. */
function termFilter(query: MediaFileListQueryDto, user: AuthenticatedUser | undefined, params: SqlParams): string {
  const filters = [params.named(readableCondition(user, 's'))];
  if (query.fileType?.length) filters.push(`s.file_type = ANY(${params.add(query.fileType)}::file_type[])`);
  if (query.accessLevel?.length) filters.push(`s.access_level = ANY(${params.add(query.accessLevel)}::access_level[])`);
  if (query.createdAfter) filters.push(`s.created_at >= ${params.add(query.createdAfter)}::timestamptz`);
  if (query.createdBefore) filters.push(`s.created_at < ${params.add(query.createdBefore)}::timestamptz`);
  return filters.join(' AND ');
}

/** Term weights by tsvector weight label: title A, tag names B, filename C, description D (migration 1764202100000). */
const WEIGHTS = { A: 8, B: 4, C: 2, D: 1 } as const;

/**
 * The relevance of a media row, defined exactly as the terms index defines it: for each query word, the best
 * `weight × factor` among the row's lexemes that match one of the word's patterns, summed over the words. Computed
 * with tsquery weight labels (`'word':*A` matches the word in the title only), tried from the highest value down,
 * so each word costs a few `@@` tests of the row's vector and no lexeme is unnested.
 */
function rankExpression(words: SearchWord[], params: SqlParams, expansions: PrefixExpansions): string {
  return words
    .map((patterns) => {
      // A prefix no term starts with (a typo) can't raise any row's rank: no test for it.
      const live = patterns.filter((pattern) => !(pattern.prefix && expansions.get(pattern.text)?.length === 0));
      const tests: Array<{ value: number; test: string }> = [];
      for (const factor of new Set(live.map((pattern) => pattern.factor))) {
        const group = live.filter((pattern) => pattern.factor === factor);
        for (const [label, weight] of Object.entries(WEIGHTS)) {
          const tsquery = group
            .map((pattern) => `${tsqueryLiteral(pattern.text)}:${pattern.prefix ? '*' : ''}${label}`)
            .join(' | ');
          tests.push({ value: weight * factor, test: `m.search_vector @@ ${params.add(tsquery)}::tsquery` });
        }
      }
      tests.sort((a, b) => b.value - a.value);
      return tests.length
        ? `(CASE ${tests.map(({ value, test }) => `WHEN ${test} THEN ${value}`).join(' ')} ELSE 0 END)`
        : '0::integer';
    })
    .join(' + ');
}

function tsqueryLiteral(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/**
 * The words as one tsquery for the GIN index: every word must match, each through any of its patterns. A prefix
 * whose terms are known is spelled out as those whole terms: GIN looks exact entries up (≈ 2 ms for a word on the
 * 1M-file benchmark) instead of a partial match over its entry tree (≈ 5–7 ms).
 */
function toTsquery(words: SearchWord[], expansions: PrefixExpansions = new Map()): string {
  const alternatives = (pattern: TermPattern) => {
    const expanded = pattern.prefix ? expansions.get(pattern.text) : undefined;
    return expanded ? expanded.map(tsqueryLiteral) : [tsqueryLiteral(pattern.text) + (pattern.prefix ? ':*' : '')];
  };
  return words
    .map((patterns) => {
      const spelled = patterns.flatMap(alternatives);
      // A prefix no term starts with drops out (a typo: only its corrections can match); with nothing left, the word
      // keeps its prefix, which matches nothing.
      return `(${(spelled.length ? spelled : [`${tsqueryLiteral(patterns[0].text)}:*`]).join(' | ')})`;
    })
    .join(' & ');
}

function dateOrder(ordering: string | undefined, alias: string): OrderKey[] {
  const direction = (ordering ?? '-createdAt').startsWith('-') ? 'DESC' : 'ASC';
  return [
    { expression: `${alias}.created_at`, direction },
    { expression: `${alias}.id`, direction },
  ];
}

function keys(order: OrderKey[]): string {
  return order.map((key, index) => `${key.expression} AS k${index}`).join(', ');
}

function pageOrder(order: OrderKey[]): string {
  return order.map((key, index) => `page.k${index} ${key.direction}`).join(', ');
}
