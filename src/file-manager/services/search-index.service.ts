import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { inTransaction } from '../../database/transactions.js';

/**
 * Where the search index (migration 1764202100000-SearchTerms) differs from what the rows say: terms an active file
 * should have and lacks (`missing`), terms no active file has like that (`stale`), and counters that don't add up to
 * the terms (`miscounted`; counters and their pending changes together). Empty when the index is right. Shared with
 * the test suite's invariant checker (I5).
 */
export const SEARCH_INDEX_DRIFT_SQL = `
  WITH expected AS (
    SELECT t.term, m.id AS media_file_id, t.weight, m.created_at, m.access_level, m.created_by, m.file_type, t.shared_prefix
      FROM media_files m, media_search_terms_of(m.search_vector, m.tag_ids, m.collection_ids) t
     WHERE m.deleted_at IS NULL
  ), actual AS (
    SELECT term, media_file_id, weight, created_at, access_level, created_by, file_type, shared_prefix FROM media_search_terms
  ), counted AS (
    SELECT term, shared_prefix, access_level, created_by, sum(files) AS files
      FROM (SELECT term, shared_prefix, access_level, created_by, files FROM media_search_term_counts
            UNION ALL
            SELECT term, shared_prefix, access_level, created_by, files FROM media_search_term_count_changes) c
     GROUP BY 1, 2, 3, 4 HAVING sum(files) <> 0
  ), tallied AS (
    SELECT term, shared_prefix, access_level, media_count_owner(access_level, created_by) AS created_by, count(*) AS files
      FROM expected GROUP BY 1, 2, 3, 4
  )
  SELECT 'missing' AS kind, term, media_file_id::text AS "mediaFileId", NULL AS counter
    FROM (SELECT * FROM expected EXCEPT SELECT * FROM actual) a
  UNION ALL
  SELECT 'stale', term, media_file_id::text, NULL FROM (SELECT * FROM actual EXCEPT SELECT * FROM expected) s
  UNION ALL
  SELECT 'miscounted', term, NULL, shared_prefix || '/' || access_level || '/' || created_by
    FROM ((SELECT * FROM counted EXCEPT SELECT * FROM tallied) UNION ALL (SELECT * FROM tallied EXCEPT SELECT * FROM counted)) c`;

export interface SearchIndexDrift {
  kind: 'missing' | 'stale' | 'miscounted';
  term: string;
  /** The media file of a missing or stale term. */
  mediaFileId: string | null;
  /** The counter key of a miscount: `shared_prefix/access_level/created_by`. */
  counter: string | null;
}

export interface SearchIndexReport {
  missingTerms: number;
  staleTerms: number;
  miscountedCounters: number;
  /** The first differences found (at most 20), to say what is wrong. */
  examples: SearchIndexDrift[];
}

/**
 * Upkeep of the search index. Triggers keep the terms and the counters' changes right in every transaction; this
 * folds the appended counter changes into the counters (so counts keep reading a few rows per term), and checks and
 * repairs the index against the rows for operators (`npx mediavault search:check [--repair]`), the way
 * verify-integrity checks the stored objects.
 */
@Injectable()
export class SearchIndexService {
  constructor(private readonly dataSource: DataSource) {}

  /** Moves the pending counter changes into the counters, in one statement; answers how many were folded. */
  async foldCounts(): Promise<number> {
    const [{ folded }] = (await this.dataSource.query(`SELECT media_search_fold_counts() AS folded`)) as Array<{ folded: string }>;
    return Number(folded);
  }

  /** Compares the whole index with the rows (reads every term and every active file: minutes at millions). */
  async check(): Promise<SearchIndexReport> {
    return report((await this.dataSource.query(SEARCH_INDEX_DRIFT_SQL)) as SearchIndexDrift[]);
  }

  /**
   * Re-derives the terms of every file whose terms differ from its row, and recounts every counter from the terms;
   * answers what was wrong before (nothing is written when nothing was). Online: the full comparison runs without
   * locks; then, in one short transaction, the drifted files are locked (as any change of them would be) and
   * re-derived, and appending counter changes is blocked while the counters are recounted (seconds at a million
   * files: approvals wait meanwhile), so a change committed during the repair is counted exactly once.
   */
  async repair(): Promise<SearchIndexReport> {
    const drift = (await this.dataSource.query(SEARCH_INDEX_DRIFT_SQL)) as SearchIndexDrift[];
    if (drift.length === 0) return report(drift);
    const files = [...new Set(drift.map((row) => row.mediaFileId).filter((id): id is string => id !== null))].sort();
    await inTransaction(this.dataSource, async (runner) => {
      if (files.length) {
        await runner.query(`SELECT id FROM media_files WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, [files]);
        await runner.query(`DELETE FROM media_search_terms WHERE media_file_id = ANY($1::uuid[])`, [files]);
        await runner.query(
          `INSERT INTO media_search_terms (term, media_file_id, weight, created_at, access_level, created_by, file_type, shared_prefix)
           SELECT t.term, m.id, t.weight, m.created_at, m.access_level, m.created_by, m.file_type, t.shared_prefix
             FROM media_files m, media_search_terms_of(m.search_vector, m.tag_ids, m.collection_ids) t
            WHERE m.id = ANY($1::uuid[]) AND m.deleted_at IS NULL`,
          [files],
        );
      }
      await runner.query(`LOCK TABLE media_search_term_count_changes IN EXCLUSIVE MODE`);
      await runner.query(`DELETE FROM media_search_term_count_changes`);
      await runner.query(`DELETE FROM media_search_term_counts`);
      await runner.query(
        `INSERT INTO media_search_term_counts (term, shared_prefix, access_level, created_by, files)
         SELECT term, shared_prefix, access_level, media_count_owner(access_level, created_by), count(*)
           FROM media_search_terms GROUP BY 1, 2, 3, 4`,
      );
    });
    return report(drift);
  }
}

const EXAMPLES = 20;

function report(drift: SearchIndexDrift[]): SearchIndexReport {
  const count = (kind: SearchIndexDrift['kind']) => drift.filter((row) => row.kind === kind).length;
  return {
    missingTerms: count('missing'),
    staleTerms: count('stale'),
    miscountedCounters: count('miscounted'),
    examples: drift.slice(0, EXAMPLES),
  };
}
