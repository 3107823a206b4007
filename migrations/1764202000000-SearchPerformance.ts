import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tag and collection filters at a million files.
 *
 * `media_files.tag_ids` and `media_files.collection_ids` are sorted copies of the file's links
 * (`media_file_tags`, `media_file_collections`), kept by statement triggers on the link tables in the same
 * transaction as the change (approve, PATCH, a tag or collection deleted: the cascade deletes links, which fires
 * the same triggers; purge deletes the row itself). Trash and restore don't touch links, so the arrays stay right
 * across both; the partial GIN indexes (`deleted_at IS NULL`) leave trashed files out.
 *
 * Why: a tag filter was a semi-join probing `media_file_tags` for every row of the creation-date index until a
 * page was full, and a count joining every link row to its media row. With the arrays, `tag_ids && $1` is one
 * bitmap over a GIN index that combines with the other conditions (search, size, dates) before any heap row is
 * read. The link tables stay the source of truth (foreign keys, cascades); the arrays are a search index.
 *
 * `media_search_rebuild()` fills the arrays in the same pass as the vectors.
 *
 * Size ranges: `media_files_size_idx` includes the columns a page sorts and filters on besides the size (creation
 * date, visibility), so a size-range page and its count are index-only scans (no heap row read per match).
 */
export class SearchPerformance1764202000000 implements MigrationInterface {
  name = 'SearchPerformance1764202000000';

  async up(q: QueryRunner): Promise<void> {
    // No link may change between the backfill and the triggers below (this runs in one transaction).
    await q.query(`LOCK TABLE media_file_tags, media_file_collections IN SHARE MODE`);

    await q.query(`ALTER TABLE "media_files" ADD COLUMN "tag_ids" uuid[] NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE "media_files" ADD COLUMN "collection_ids" uuid[] NOT NULL DEFAULT '{}'`);

    await q.query(`
      CREATE FUNCTION media_file_tag_ids(media_id uuid) RETURNS uuid[]
        LANGUAGE sql STABLE
        AS $$ SELECT ARRAY(SELECT tag_id FROM media_file_tags WHERE media_file_id = media_id ORDER BY tag_id) $$`);
    await q.query(`
      CREATE FUNCTION media_file_collection_ids(media_id uuid) RETURNS uuid[]
        LANGUAGE sql STABLE
        AS $$ SELECT ARRAY(SELECT collection_id FROM media_file_collections WHERE media_file_id = media_id ORDER BY collection_id) $$`);

    // One pass over the files that have links (an UPDATE writes a new row version: one, not two).
    await q.query(`
      UPDATE media_files m SET tag_ids = coalesce(t.ids, '{}'), collection_ids = coalesce(c.ids, '{}')
        FROM media_files f
        LEFT JOIN (SELECT media_file_id, array_agg(tag_id ORDER BY tag_id) AS ids FROM media_file_tags GROUP BY 1) t
               ON t.media_file_id = f.id
        LEFT JOIN (SELECT media_file_id, array_agg(collection_id ORDER BY collection_id) AS ids
                     FROM media_file_collections GROUP BY 1) c
               ON c.media_file_id = f.id
       WHERE m.id = f.id AND (t.ids IS NOT NULL OR c.ids IS NOT NULL)`);

    // Links added or removed: the files' arrays are recomputed, and `title = title` recomputes the vector's tag
    // names (the search trigger listens to title), as before.
    await q.query(`
      CREATE OR REPLACE FUNCTION media_file_tags_search_refresh() RETURNS trigger
        LANGUAGE plpgsql
        AS $$
        BEGIN
          UPDATE media_files m SET title = m.title, tag_ids = media_file_tag_ids(m.id)
           WHERE m.id IN (SELECT DISTINCT media_file_id FROM changed_links);
          RETURN NULL;
        END
        $$`);
    await q.query(`
      CREATE FUNCTION media_file_collections_refresh() RETURNS trigger
        LANGUAGE plpgsql
        AS $$
        BEGIN
          UPDATE media_files m SET collection_ids = media_file_collection_ids(m.id)
           WHERE m.id IN (SELECT DISTINCT media_file_id FROM changed_links);
          RETURN NULL;
        END
        $$`);
    await q.query(`
      CREATE TRIGGER "media_file_collections_insert" AFTER INSERT ON "media_file_collections"
        REFERENCING NEW TABLE AS changed_links
        FOR EACH STATEMENT EXECUTE FUNCTION media_file_collections_refresh()`);
    await q.query(`
      CREATE TRIGGER "media_file_collections_delete" AFTER DELETE ON "media_file_collections"
        REFERENCING OLD TABLE AS changed_links
        FOR EACH STATEMENT EXECUTE FUNCTION media_file_collections_refresh()`);

    // The bulk rebuild (after a load with triggers off, or a repair) fills the arrays in the same pass as the vectors.
    await q.query(REBUILD_WITH_LINKS);

    await q.query(
      `CREATE INDEX "media_files_tag_ids_idx" ON "media_files" USING gin ("tag_ids") WHERE "deleted_at" IS NULL`,
    );
    await q.query(
      `CREATE INDEX "media_files_collection_ids_idx" ON "media_files" USING gin ("collection_ids") WHERE "deleted_at" IS NULL`,
    );
    // Size ranges: the page (sorted by another column) and the count are index-only scans of the range, no heap
    // row read per match; visibility's columns are included so a member's page is index-only too.
    await q.query(`DROP INDEX "media_files_size_idx"`);
    await q.query(`
      CREATE INDEX "media_files_size_idx" ON "media_files" ("file_size", "id")
        INCLUDE ("created_at", "access_level", "created_by") WHERE "deleted_at" IS NULL`);
    await q.query(`ANALYZE media_files`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "media_files_size_idx"`);
    await q.query(
      `CREATE INDEX "media_files_size_idx" ON "media_files" ("file_size", "id") WHERE "deleted_at" IS NULL`,
    );
    await q.query(`DROP INDEX "media_files_collection_ids_idx"`);
    await q.query(`DROP INDEX "media_files_tag_ids_idx"`);
    await q.query(REBUILD_WITHOUT_LINKS);
    await q.query(`DROP TRIGGER "media_file_collections_delete" ON "media_file_collections"`);
    await q.query(`DROP TRIGGER "media_file_collections_insert" ON "media_file_collections"`);
    await q.query(`DROP FUNCTION media_file_collections_refresh()`);
    await q.query(`
      CREATE OR REPLACE FUNCTION media_file_tags_search_refresh() RETURNS trigger
        LANGUAGE plpgsql
        AS $$
        BEGIN
          UPDATE media_files m SET title = m.title
           WHERE m.id IN (SELECT DISTINCT media_file_id FROM changed_links);
          RETURN NULL;
        END
        $$`);
    await q.query(`ALTER TABLE "media_files" DROP COLUMN "collection_ids"`);
    await q.query(`ALTER TABLE "media_files" DROP COLUMN "tag_ids"`);
    await q.query(`DROP FUNCTION media_file_collection_ids(uuid)`);
    await q.query(`DROP FUNCTION media_file_tag_ids(uuid)`);
  }
}

/** The words and the counts summary, rebuilt from the vectors. */
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

/** Every file's vector and link arrays, recomputed in one pass. */
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

const REBUILD_WITH_LINKS = `
      CREATE OR REPLACE FUNCTION media_search_rebuild() RETURNS void
        LANGUAGE sql
        AS $$
${REBUILD_VECTORS_AND_LINKS}
${REBUILD_COUNTS_AND_WORDS}
        $$`;

/** The definition of 1764201800000-LibrarySearch, for down(). */
const REBUILD_WITHOUT_LINKS = `
      CREATE OR REPLACE FUNCTION media_search_rebuild() RETURNS void
        LANGUAGE sql
        AS $$
          UPDATE media_files m
             SET search_vector = media_search_document(m.title, coalesce(names.tag_names, ''), m.original_filename, m.description)
            FROM (SELECT f.id, string_agg(t.name, ' ') AS tag_names
                    FROM media_files f
                    LEFT JOIN media_file_tags mt ON mt.media_file_id = f.id
                    LEFT JOIN tags t ON t.id = mt.tag_id
                   GROUP BY f.id) names
           WHERE names.id = m.id;
${REBUILD_COUNTS_AND_WORDS}
        $$`;
