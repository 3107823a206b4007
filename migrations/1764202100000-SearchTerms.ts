import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Search terms: an inverted index of the library that answers a search on its own, without reading media rows.
 *
 * `media_search_terms` holds one row per (term, active media file): every lexeme of the file's `search_vector`
 * with its best weight (title 8, tag names 4, filename 2, description 1), plus one `:tag:<id>` term per tag and
 * one `:collection:<id>` term per collection. Each row carries the columns a list page filters and sorts on
 * besides the term itself (creation date, access level, uploader, file type), all in the primary key
 * `(term, weight, created_at, media_file_id)` or INCLUDEd in it.
 *
 * Why: with the tsvector GIN index alone, an exact `count` and a ranking of a search both read the heap row of
 * every match (≈ 2–3 µs a row: a one-word search with 6,000 matches took 30–50 ms, a 4-letter prefix with 29,000
 * matches 120–160 ms). Here the matches of one word, one prefix, one tag or one collection are one contiguous
 * range of the primary key, read index-only with the visibility filter: the count scans the range
 * (`term ^@ prefix` is an index range because `term` uses the "C" collation), and the best matches of one term
 * are the first rows of a backward scan of its part of the range (weight, then date, descending), so a page reads
 * a few rows per term instead of every match.
 *
 * Relevance (LibraryService, library-search.ts): for each query word, the best `weight × factor` among the file's
 * lexemes that match it (factor 3 for the word or a word it starts, 1 for a typo correction), summed over the
 * words; equal relevance, newest first. The media-row plan computes the same from the vector with weight-labelled
 * tsqueries, so both plans order alike.
 *
 * Terms that start with ':' can never be matched by a search word: query words are normalised to letters and
 * digits (`search_normalize`), and so are lexemes.
 *
 * Kept by a row trigger on `media_files` in the same transaction as every change that affects a file's terms or
 * their carried columns: insert, the search vector (title, description, filename, tag names, whose changes already
 * recompute the vector), tag and collection links (through `tag_ids` / `collection_ids`, kept by the link
 * tables' triggers), access level, trash (`deleted_at` set: the rows go), restore (they come back), delete. The
 * old rows are found through the old vector and arrays (primary-key lookups: no second index on the file id).
 * Concurrent changes of one file are serialised by its row lock; different files never share a row.
 *
 * `media_search_rebuild()` recomputes the terms in bulk with everything else.
 */
export class SearchTerms1764202100000 implements MigrationInterface {
  name = 'SearchTerms1764202100000';

  async up(q: QueryRunner): Promise<void> {
    // No file may change between the backfill and the trigger below (this runs in one transaction).
    await q.query(`LOCK TABLE media_files IN SHARE MODE`);

    // `shared_prefix`: how many leading characters the lexeme shares with the file's previous lexeme in "C" order.
    // The lexemes of one file that start with a prefix P are consecutive in that order, and exactly the first of them
    // shares fewer than length(P) characters with its predecessor: `shared_prefix < length(P)` keeps one row per
    // matching file, so a prefix search counts its files without de-duplicating them.
    await q.query(`
      CREATE FUNCTION media_search_terms_of(document tsvector, tag_ids uuid[], collection_ids uuid[])
        RETURNS TABLE (term text, weight smallint, shared_prefix smallint)
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$
          SELECT l.term, l.weight,
                 (SELECT count(*) FROM generate_series(1, least(char_length(l.term), char_length(l.previous))) i
                   WHERE left(l.term, i) = left(l.previous, i))::smallint
            FROM (SELECT u.lexeme COLLATE "C" AS term,
                         (SELECT CASE min(w) WHEN 'A' THEN 8 WHEN 'B' THEN 4 WHEN 'C' THEN 2 ELSE 1 END
                            FROM unnest(u.weights) w)::smallint AS weight,
                         lag(u.lexeme COLLATE "C") OVER (ORDER BY u.lexeme COLLATE "C") AS previous
                    FROM unnest(document) u) l
          UNION ALL
          SELECT ':tag:' || t, 0::smallint, 0::smallint FROM unnest(tag_ids) t
          UNION ALL
          SELECT ':collection:' || c, 0::smallint, 0::smallint FROM unnest(collection_ids) c
        $$`);

    await q.query(`
      CREATE TABLE "media_search_terms" (
        "term" text COLLATE "C" NOT NULL,
        "media_file_id" uuid NOT NULL,
        "weight" smallint NOT NULL,
        "created_at" timestamptz NOT NULL,
        "access_level" "access_level" NOT NULL,
        "created_by" uuid NOT NULL,
        "file_type" "file_type" NOT NULL,
        "shared_prefix" smallint NOT NULL
      )`);
    // Bulk first, index after: sorted input builds the b-tree in one pass.
    await q.query(INSERT_TERMS_OF_ACTIVE_FILES);
    await q.query(`
      ALTER TABLE "media_search_terms" ADD CONSTRAINT "media_search_terms_pkey"
        PRIMARY KEY ("term", "weight", "created_at", "media_file_id") INCLUDE ("access_level", "created_by", "file_type", "shared_prefix")`);

    // How many files each term has, by what decides who sees them (access level, and the uploader of a private
    // file, as in media_file_counts) and by `shared_prefix`: a search with one word and no filter beyond access
    // level counts its files from a few of these rows (`term ^@ prefix AND shared_prefix < length(prefix)`, see
    // above) instead of reading every match.
    //
    // Writers never update a counter row: the trigger appends its netted changes to `media_search_term_count_changes`
    // (no row is shared, so concurrent approvals of files with common words neither wait on each other nor
    // deadlock, which counter rows updated by several statements of one transaction could), and a count adds the
    // counters and the pending changes in one snapshot. `media_search_fold_counts()` (the `fold-search-counts` job,
    // every minute) moves the changes into the counters in one statement: a concurrent count sees the changes
    // either still pending or already folded, never both or neither. Counters that reach zero stay.
    await q.query(`
      CREATE TABLE "media_search_term_counts" (
        "term" text COLLATE "C" NOT NULL,
        "shared_prefix" smallint NOT NULL,
        "access_level" "access_level" NOT NULL,
        -- The uploader for private files, else the nil uuid (media_count_owner).
        "created_by" uuid NOT NULL,
        "files" bigint NOT NULL,
        PRIMARY KEY ("term", "shared_prefix", "access_level", "created_by")
      )`);
    await q.query(`
      CREATE TABLE "media_search_term_count_changes" (
        "term" text COLLATE "C" NOT NULL,
        "shared_prefix" smallint NOT NULL,
        "access_level" "access_level" NOT NULL,
        "created_by" uuid NOT NULL,
        "files" bigint NOT NULL
      )`);
    await q.query(
      `CREATE INDEX "media_search_term_count_changes_term_idx" ON "media_search_term_count_changes" ("term")`,
    );
    // Keys in a fixed order: two folds running at once (they shouldn't: the job holds an advisory lock) could not
    // deadlock either. Deleted changes are locked by the DELETE, so a second fold skips what the first moved.
    await q.query(`
      CREATE FUNCTION media_search_fold_counts() RETURNS bigint
        LANGUAGE sql
        AS $$
          WITH moved AS (
            DELETE FROM media_search_term_count_changes
            RETURNING term, shared_prefix, access_level, created_by, files
          ), folded AS (
            INSERT INTO media_search_term_counts AS c (term, shared_prefix, access_level, created_by, files)
            SELECT term, shared_prefix, access_level, created_by, sum(files) FROM moved
             GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
            ON CONFLICT (term, shared_prefix, access_level, created_by) DO UPDATE SET files = c.files + EXCLUDED.files
          )
          SELECT count(*) FROM moved
        $$`);
    await q.query(REBUILD_TERM_COUNTS);

    await q.query(`
      CREATE FUNCTION media_files_terms_refresh() RETURNS trigger
        LANGUAGE plpgsql
        AS $$
        BEGIN
          IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.deleted_at IS NULL THEN
            DELETE FROM media_search_terms s
             WHERE (s.term, s.weight, s.created_at, s.media_file_id) IN (
                   SELECT t.term, t.weight, OLD.created_at, OLD.id
                     FROM media_search_terms_of(OLD.search_vector, OLD.tag_ids, OLD.collection_ids) t);
          END IF;
          IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.deleted_at IS NULL THEN
            INSERT INTO media_search_terms (term, media_file_id, weight, created_at, access_level, created_by, file_type, shared_prefix)
            SELECT t.term, NEW.id, t.weight, NEW.created_at, NEW.access_level, NEW.created_by, NEW.file_type, t.shared_prefix
              FROM media_search_terms_of(NEW.search_vector, NEW.tag_ids, NEW.collection_ids) t;
          END IF;
          -- The counters' changes: old keys -1, new keys +1, netted in one statement (a title edit records only the
          -- words that changed). Appended, never updated in place (see media_search_term_count_changes).
          INSERT INTO media_search_term_count_changes (term, shared_prefix, access_level, created_by, files)
          SELECT d.term, d.shared_prefix, d.access_level, d.created_by, sum(d.delta)
            FROM (
              SELECT t.term, t.shared_prefix, OLD.access_level, media_count_owner(OLD.access_level, OLD.created_by), -1
                FROM media_search_terms_of(OLD.search_vector, OLD.tag_ids, OLD.collection_ids) t
               WHERE TG_OP IN ('UPDATE', 'DELETE') AND OLD.deleted_at IS NULL
              UNION ALL
              SELECT t.term, t.shared_prefix, NEW.access_level, media_count_owner(NEW.access_level, NEW.created_by), 1
                FROM media_search_terms_of(NEW.search_vector, NEW.tag_ids, NEW.collection_ids) t
               WHERE TG_OP IN ('INSERT', 'UPDATE') AND NEW.deleted_at IS NULL
            ) d (term, shared_prefix, access_level, created_by, delta)
           GROUP BY 1, 2, 3, 4 HAVING sum(d.delta) <> 0;
          RETURN NULL;
        END
        $$`);
    await q.query(`
      CREATE TRIGGER "media_files_terms_insert_delete" AFTER INSERT OR DELETE ON "media_files"
        FOR EACH ROW EXECUTE FUNCTION media_files_terms_refresh()`);
    // Download counts and timestamps change often and no term carries them: those updates skip the trigger.
    await q.query(`
      CREATE TRIGGER "media_files_terms_update" AFTER UPDATE ON "media_files"
        FOR EACH ROW
        WHEN (OLD.search_vector IS DISTINCT FROM NEW.search_vector
              OR OLD.tag_ids IS DISTINCT FROM NEW.tag_ids
              OR OLD.collection_ids IS DISTINCT FROM NEW.collection_ids
              OR OLD.access_level IS DISTINCT FROM NEW.access_level
              OR OLD.created_by IS DISTINCT FROM NEW.created_by
              OR OLD.created_at IS DISTINCT FROM NEW.created_at
              OR OLD.file_type IS DISTINCT FROM NEW.file_type
              OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
        EXECUTE FUNCTION media_files_terms_refresh()`);

    await q.query(REBUILD_WITH_TERMS);
    await q.query(`ANALYZE media_search_terms`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(REBUILD_WITH_LINKS);
    await q.query(`DROP TRIGGER "media_files_terms_update" ON "media_files"`);
    await q.query(`DROP TRIGGER "media_files_terms_insert_delete" ON "media_files"`);
    await q.query(`DROP FUNCTION media_files_terms_refresh()`);
    await q.query(`DROP FUNCTION media_search_fold_counts()`);
    await q.query(`DROP TABLE "media_search_term_count_changes"`);
    await q.query(`DROP TABLE "media_search_term_counts"`);
    await q.query(`DROP TABLE "media_search_terms"`);
    await q.query(`DROP FUNCTION media_search_terms_of(tsvector, uuid[], uuid[])`);
  }
}

// Copied from 1764202000000-SearchPerformance (not imported: a migration that shipped must not change when an
// earlier file is edited). The words and the counts summary, rebuilt from the vectors.
const REBUILD_COUNTS_AND_WORDS = `
          INSERT INTO search_words (word)
          SELECT word FROM ts_stat('SELECT search_vector FROM media_files')
           WHERE length(word) BETWEEN 3 AND 64 AND word !~ '^[0-9]+$'
          ON CONFLICT DO NOTHING;
          DELETE FROM media_file_counts;
          INSERT INTO media_file_counts (access_level, created_by, file_type, slot, active)
          SELECT access_level, media_count_owner(access_level, created_by), file_type,
                 (abs(hashtext(id::text)) % 8)::smallint, count(*)
            FROM media_files WHERE deleted_at IS NULL
           GROUP BY 1, 2, 3, 4;`;

/** Every file's vector and link arrays, recomputed in one pass (as 1764202000000-SearchPerformance does). */
const REBUILD_VECTORS_AND_LINKS = `
          UPDATE media_files m
             SET search_vector = media_search_document(m.title, coalesce(t.tag_names, ''), m.original_filename, m.description),
                 tag_ids = coalesce(t.ids, '{}'),
                 collection_ids = coalesce(c.ids, '{}')
            FROM media_files f
            LEFT JOIN (SELECT mt.media_file_id, string_agg(tg.name, ' ') AS tag_names, array_agg(mt.tag_id ORDER BY mt.tag_id) AS ids
                         FROM media_file_tags mt JOIN tags tg ON tg.id = mt.tag_id GROUP BY 1) t
                   ON t.media_file_id = f.id
            LEFT JOIN (SELECT media_file_id, array_agg(collection_id ORDER BY collection_id) AS ids
                         FROM media_file_collections GROUP BY 1) c
                   ON c.media_file_id = f.id
           WHERE m.id = f.id;`;

/** media_search_rebuild() as 1764202000000-SearchPerformance defined it, for down(). */
const REBUILD_WITH_LINKS = `
      CREATE OR REPLACE FUNCTION media_search_rebuild() RETURNS void
        LANGUAGE sql
        AS $$
${REBUILD_VECTORS_AND_LINKS}
${REBUILD_COUNTS_AND_WORDS}
        $$`;

const REBUILD_TERM_COUNTS = `
          DELETE FROM media_search_term_count_changes;
          DELETE FROM media_search_term_counts;
          INSERT INTO media_search_term_counts (term, shared_prefix, access_level, created_by, files)
          SELECT term, shared_prefix, access_level, media_count_owner(access_level, created_by), count(*)
            FROM media_search_terms
           GROUP BY 1, 2, 3, 4;`;

/** Every active file's terms, from its vector and link arrays. */
const INSERT_TERMS_OF_ACTIVE_FILES = `
          INSERT INTO media_search_terms (term, media_file_id, weight, created_at, access_level, created_by, file_type, shared_prefix)
          SELECT t.term, m.id, t.weight, m.created_at, m.access_level, m.created_by, m.file_type, t.shared_prefix
            FROM media_files m, media_search_terms_of(m.search_vector, m.tag_ids, m.collection_ids) t
           WHERE m.deleted_at IS NULL`;

const REBUILD_WITH_TERMS = `
      CREATE OR REPLACE FUNCTION media_search_rebuild() RETURNS void
        LANGUAGE sql
        AS $$
          -- The terms are rebuilt in bulk below: row by row through the trigger would cost a million index updates.
          ALTER TABLE media_files DISABLE TRIGGER media_files_terms_update;
${REBUILD_VECTORS_AND_LINKS}
          ALTER TABLE media_files ENABLE TRIGGER media_files_terms_update;
${REBUILD_COUNTS_AND_WORDS}
          TRUNCATE media_search_terms;
${INSERT_TERMS_OF_ACTIVE_FILES}
           ORDER BY 1, 2;
${REBUILD_TERM_COUNTS}
        $$`;
