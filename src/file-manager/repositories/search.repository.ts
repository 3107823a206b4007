import { Injectable } from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import { SqlParams } from '../../database/sql.js';
import { readableCondition } from '../access-policy.js';
import type { AccessLevel, FileType } from '../entities/columns.js';
import { rows } from './db.js';

/** A prefix with more terms than this is read as one index range (see `words`). */
export const MAX_PREFIX_TERMS = 100;

/** A word of a search text, its corrections, and the terms it starts (null for a one-letter word). */
export interface WordRow {
  token: string;
  alternatives: string[];
  expansion: string[] | null;
}

/**
 * Where the search index (migration 1764202100000-SearchTerms) differs from what the rows say: terms an active file
 * should have and lacks (`missing`), terms no active file has like that (`stale`), and counters that don't add up to
 * the terms (`miscounted`; counters and their pending changes together). Empty when the index is right. Shared with
 * the test suite's invariant checker (I5).
 */
export const SEARCH_INDEX_DRIFT_SQL = `
  WITH expected AS (
    SELECT t.term, m.id AS media_file_id, t.weight, m.created_at, m.access_level, m.created_by, m.file_type,
           t.shared_prefix
      FROM media_files m, media_search_terms_of(m.search_vector, m.tag_ids, m.collection_ids) t
     WHERE m.deleted_at IS NULL
  ), actual AS (
    SELECT term, media_file_id, weight, created_at, access_level, created_by, file_type, shared_prefix
      FROM media_search_terms
  ), counted AS (
    SELECT term, shared_prefix, access_level, created_by, sum(files) AS files
      FROM (SELECT term, shared_prefix, access_level, created_by, files FROM media_search_term_counts
            UNION ALL
            SELECT term, shared_prefix, access_level, created_by, files FROM media_search_term_count_changes) c
     GROUP BY 1, 2, 3, 4 HAVING sum(files) <> 0
  ), tallied AS (
    SELECT term, shared_prefix, access_level, media_count_owner(access_level, created_by) AS created_by,
           count(*) AS files
      FROM expected GROUP BY 1, 2, 3, 4
  )
  SELECT 'missing' AS kind, term, media_file_id::text AS "mediaFileId", NULL AS counter
    FROM (SELECT * FROM expected EXCEPT SELECT * FROM actual) a
  UNION ALL
  SELECT 'stale', term, media_file_id::text, NULL FROM (SELECT * FROM actual EXCEPT SELECT * FROM expected) s
  UNION ALL
  SELECT 'miscounted', term, NULL, shared_prefix || '/' || access_level || '/' || created_by
    FROM ((SELECT * FROM counted EXCEPT SELECT * FROM tallied)
          UNION ALL (SELECT * FROM tallied EXCEPT SELECT * FROM counted)) c`;

export interface SearchIndexDrift {
  kind: 'missing' | 'stale' | 'miscounted';
  term: string;
  /** The media file of a missing or stale term. */
  mediaFileId: string | null;
  /** The counter key of a miscount: `shared_prefix/access_level/created_by`. */
  counter: string | null;
}

/**
 * The search index (`search_words`, `media_search_terms`, its counters) and the statements the search planner
 * writes. Reads only, except the index's upkeep.
 */
@Injectable()
export class SearchRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The words of `q` (at most ten), each with its corrections and the terms it starts: see
   * `LibrarySearchService.searchWords`.
   */
  words(q: string): Promise<WordRow[]> {
    return rows(
      this.dataSource,
      `WITH tokens AS (
         SELECT token, min(position) AS position
           FROM regexp_split_to_table(search_normalize($1), ' ') WITH ORDINALITY AS split (token, position)
          WHERE token <> '' GROUP BY token ORDER BY 2 LIMIT 10
       )
       SELECT t.token,
              CASE WHEN length(t.token) >= 3 AND t.token !~ '^[0-9]+$'
                        AND NOT EXISTS (SELECT 1 FROM search_words w WHERE w.word LIKE t.token || '%')
                   THEN ARRAY(
                          SELECT candidate.word FROM (
                            (SELECT nearest.word FROM (
                               SELECT w.word, w.word <-> t.token AS distance FROM search_words w
                                ORDER BY w.word <-> t.token LIMIT 5) nearest
                              WHERE nearest.distance <= 0.75)
                            UNION
                            (SELECT w.word FROM search_words w
                              WHERE w.word LIKE '%' || t.token || '%'
                              ORDER BY w.word <-> t.token LIMIT 5)
                          ) candidate
                          WHERE NOT starts_with(candidate.word, t.token)
                          ORDER BY candidate.word)
                   ELSE ARRAY[]::text[] END AS alternatives,
              -- The terms the word starts (for a prefix, length >= 2): a skip scan from one distinct term to the next.
              CASE WHEN length(t.token) >= 2 THEN ARRAY(
                WITH RECURSIVE expanded (term) AS (
                  SELECT first.term
                    FROM (SELECT s.term FROM media_search_terms s
                           WHERE s.term >= t.token COLLATE "C" ORDER BY s.term LIMIT 1) first
                   WHERE first.term ^@ t.token
                  UNION ALL
                  SELECT next.term FROM expanded e
                   CROSS JOIN LATERAL (SELECT s.term FROM media_search_terms s
                                        WHERE s.term > e.term ORDER BY s.term LIMIT 1) next
                   WHERE next.term ^@ t.token
                )
                SELECT term FROM expanded LIMIT ${MAX_PREFIX_TERMS + 1}) END AS expansion
         FROM tokens t ORDER BY t.position`,
      [q],
    );
  }

  /** Runs a planned count (a `count` column). */
  async count(sql: string, values: unknown[]): Promise<number> {
    const [{ count }] = await rows<{ count: string }>(this.dataSource, sql, values);
    return Number(count);
  }

  /** The number of visible active files from the trigger-kept `media_file_counts` (a handful of rows). */
  async countFromSummary(
    filters: { fileType?: FileType[]; accessLevel?: AccessLevel[] },
    user?: AuthenticatedUser,
  ): Promise<number> {
    const params = new SqlParams();
    const where = [params.named(readableCondition(user, 'c'))];
    if (filters.fileType?.length) where.push(`c.file_type = ANY(${params.add(filters.fileType)}::file_type[])`);
    if (filters.accessLevel?.length)
      where.push(`c.access_level = ANY(${params.add(filters.accessLevel)}::access_level[])`);
    return this.count(
      `SELECT coalesce(sum(c.active), 0) AS count FROM media_file_counts c WHERE ${where.join(' AND ')}`,
      params.values,
    );
  }

  /** Moves the pending counter changes into the counters, in one statement; answers how many were folded. */
  async foldCounts(): Promise<number> {
    const [{ folded }] = await rows<{ folded: string }>(this.dataSource, `SELECT media_search_fold_counts() AS folded`);
    return Number(folded);
  }

  /** Every difference between the index and the rows (`SEARCH_INDEX_DRIFT_SQL`). */
  drift(): Promise<SearchIndexDrift[]> {
    return rows(this.dataSource, SEARCH_INDEX_DRIFT_SQL);
  }

  /** Locks the files (in id order, as any change of them would) and derives their terms again from their rows. */
  async rederiveTerms(runner: QueryRunner, mediaFileIds: string[]): Promise<void> {
    await runner.query(`SELECT id FROM media_files WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, [mediaFileIds]);
    await runner.query(`DELETE FROM media_search_terms WHERE media_file_id = ANY($1::uuid[])`, [mediaFileIds]);
    await runner.query(
      `INSERT INTO media_search_terms (term, media_file_id, weight, created_at, access_level, created_by, file_type,
                                       shared_prefix)
       SELECT t.term, m.id, t.weight, m.created_at, m.access_level, m.created_by, m.file_type, t.shared_prefix
         FROM media_files m, media_search_terms_of(m.search_vector, m.tag_ids, m.collection_ids) t
        WHERE m.id = ANY($1::uuid[]) AND m.deleted_at IS NULL`,
      [mediaFileIds],
    );
  }

  /** Counts every counter again from the terms, blocking appended changes until the transaction ends. */
  async recount(runner: QueryRunner): Promise<void> {
    await runner.query(`LOCK TABLE media_search_term_count_changes IN EXCLUSIVE MODE`);
    await runner.query(`DELETE FROM media_search_term_count_changes`);
    await runner.query(`DELETE FROM media_search_term_counts`);
    await runner.query(
      `INSERT INTO media_search_term_counts (term, shared_prefix, access_level, created_by, files)
       SELECT term, shared_prefix, access_level, media_count_owner(access_level, created_by), count(*)
         FROM media_search_terms GROUP BY 1, 2, 3, 4`,
    );
  }
}
