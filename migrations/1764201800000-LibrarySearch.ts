import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Library search and browsing at scale (a million media files, p95 under 20 ms).
 *
 * Full text: `media_files.search_vector` is a denormalised tsvector of title (weight A), tag names (B), original
 * filename (C) and description (D), kept by triggers in the same transaction as the change that affects it:
 * - BEFORE INSERT / UPDATE OF title, description, original_filename on `media_files` recomputes the row's vector;
 * - statement triggers on `media_file_tags` (links added or removed) and a row trigger on `tags` (renamed) touch
 *   the affected media rows (`SET title = title`), which fires the first trigger.
 * Tag names have to live in the vector itself: an expression index cannot see other tables, and matching tags
 * through a join would turn every search into a join over the whole library before ranking.
 * The `simple` configuration (no stemming, no stop words) suits titles and filenames in any language; text is
 * lowercased, unaccented and split on anything that is not a letter or digit (`IMG_2041.jpg` → `img 2041 jpg`).
 *
 * Partial words and typos: `search_words` holds every distinct lexeme of the library with a trigram GiST index
 * (the "table of unique words" approach of the pg_trgm documentation). A query word becomes
 * `(word:* | similar1 | similar2 …)`, the similar words found by trigram similarity or substring in that small
 * table, and the whole query is then answered by the tsvector GIN index alone: trigram matching never scans
 * the media rows. Words are only ever added (a stale word costs nothing: it simply matches no file).
 *
 * Browsing: partial b-tree indexes over active files (`deleted_at IS NULL`) for every ordering of the contract,
 * so a page is the first rows of an index scan; filters on size and date ride on the same indexes.
 *
 * Counts: a page is cheap, but an exact `count` of a million visible rows is not (an index-only scan of the
 * whole library, hundreds of ms). `media_file_counts` keeps the number of active files per access level, file type
 * and — for private files only — uploader, maintained by a trigger in the same transaction as every change of
 * those columns or of `deleted_at`. A list without filters other than file type and access level (the library's
 * front page, in any ordering) counts from it in microseconds. Each key is spread over 8 slots (by file id), so
 * concurrent approvals of the same kind of file rarely wait on the same counter row.
 *
 * `media_search_rebuild()` recomputes every vector, the word list and the counts in bulk (after a bulk load with
 * triggers disabled, or a repair; run it without concurrent writes); the triggers keep them right otherwise.
 */
export class LibrarySearch1764201800000 implements MigrationInterface {
  name = 'LibrarySearch1764201800000';

  async up(q: QueryRunner): Promise<void> {
    // Both are "trusted" extensions: a database owner may create them without superuser rights.
    await q.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await q.query(`CREATE EXTENSION IF NOT EXISTS unaccent`);

    await q.query(`
      CREATE FUNCTION search_normalize(value text) RETURNS text
        LANGUAGE sql STABLE PARALLEL SAFE
        AS $$ SELECT btrim(regexp_replace(lower(unaccent(coalesce(value, ''))), '[^[:alnum:]]+', ' ', 'g')) $$`);
    await q.query(`
      CREATE FUNCTION media_search_document(title text, tag_names text, filename text, description text)
        RETURNS tsvector LANGUAGE sql STABLE PARALLEL SAFE
        AS $$
          SELECT setweight(to_tsvector('simple', search_normalize(title)), 'A')
              || setweight(to_tsvector('simple', search_normalize(tag_names)), 'B')
              || setweight(to_tsvector('simple', search_normalize(filename)), 'C')
              || setweight(to_tsvector('simple', search_normalize(description)), 'D')
        $$`);
    await q.query(`
      CREATE FUNCTION media_tag_names(media_id uuid) RETURNS text
        LANGUAGE sql STABLE
        AS $$
          SELECT coalesce(string_agg(t.name, ' '), '')
            FROM media_file_tags mt JOIN tags t ON t.id = mt.tag_id
           WHERE mt.media_file_id = media_id
        $$`);

    await q.query(`CREATE TABLE "search_words" ("word" text PRIMARY KEY)`);
    // GiST rather than GIN: it answers "the k most similar words" (`ORDER BY word <-> $1 LIMIT k`) directly.
    await q.query(`CREATE INDEX "search_words_trgm_idx" ON "search_words" USING gist ("word" gist_trgm_ops)`);
    // Only missing words are inserted, in sorted order: two transactions adding the same words can wait on each
    // other but never deadlock. Numbers (`IMG_2041` → `2041`) are left out: correcting typos in them is
    // meaningless, and camera filenames would otherwise fill the table with a word per file.
    await q.query(`
      CREATE FUNCTION search_words_add(document tsvector) RETURNS void
        LANGUAGE sql
        AS $$
          INSERT INTO search_words (word)
          SELECT lexeme FROM unnest(tsvector_to_array(document)) AS lexeme
           WHERE length(lexeme) BETWEEN 3 AND 64 AND lexeme !~ '^[0-9]+$'
             AND NOT EXISTS (SELECT 1 FROM search_words w WHERE w.word = lexeme)
           ORDER BY lexeme
          ON CONFLICT DO NOTHING
        $$`);

    await q.query(`ALTER TABLE "media_files" ADD COLUMN "search_vector" tsvector NOT NULL DEFAULT ''::tsvector`);

    await q.query(`
      CREATE FUNCTION media_files_search_refresh() RETURNS trigger
        LANGUAGE plpgsql
        AS $$
        BEGIN
          NEW.search_vector := media_search_document(NEW.title, media_tag_names(NEW.id), NEW.original_filename, NEW.description);
          PERFORM search_words_add(NEW.search_vector);
          RETURN NEW;
        END
        $$`);
    await q.query(`
      CREATE TRIGGER "media_files_search_refresh"
        BEFORE INSERT OR UPDATE OF title, description, original_filename ON "media_files"
        FOR EACH ROW EXECUTE FUNCTION media_files_search_refresh()`);

    await q.query(`
      CREATE FUNCTION media_file_tags_search_refresh() RETURNS trigger
        LANGUAGE plpgsql
        AS $$
        BEGIN
          UPDATE media_files m SET title = m.title
           WHERE m.id IN (SELECT DISTINCT media_file_id FROM changed_links);
          RETURN NULL;
        END
        $$`);
    await q.query(`
      CREATE TRIGGER "media_file_tags_search_insert" AFTER INSERT ON "media_file_tags"
        REFERENCING NEW TABLE AS changed_links
        FOR EACH STATEMENT EXECUTE FUNCTION media_file_tags_search_refresh()`);
    await q.query(`
      CREATE TRIGGER "media_file_tags_search_delete" AFTER DELETE ON "media_file_tags"
        REFERENCING OLD TABLE AS changed_links
        FOR EACH STATEMENT EXECUTE FUNCTION media_file_tags_search_refresh()`);

    await q.query(`
      CREATE FUNCTION tags_search_refresh() RETURNS trigger
        LANGUAGE plpgsql
        AS $$
        BEGIN
          UPDATE media_files m SET title = m.title
            FROM media_file_tags mt
           WHERE mt.tag_id = NEW.id AND mt.media_file_id = m.id;
          RETURN NULL;
        END
        $$`);
    await q.query(`
      CREATE TRIGGER "tags_search_refresh" AFTER UPDATE OF name ON "tags"
        FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
        EXECUTE FUNCTION tags_search_refresh()`);

    await q.query(`
      CREATE TABLE "media_file_counts" (
        "access_level" "access_level" NOT NULL,
        -- The uploader for private files (the only level whose visibility depends on who asks), else the nil uuid.
        "created_by" uuid NOT NULL,
        "file_type" "file_type" NOT NULL,
        "slot" smallint NOT NULL,
        "active" bigint NOT NULL,
        PRIMARY KEY ("access_level", "created_by", "file_type", "slot")
      )`);
    await q.query(`
      CREATE FUNCTION media_count_owner(level access_level, created_by uuid) RETURNS uuid
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT CASE WHEN level = 'private' THEN created_by ELSE '00000000-0000-0000-0000-000000000000'::uuid END $$`);
    // Both deltas (old key -1, new key +1) in one statement, keys in a fixed order: no deadlock between two such
    // updates, whatever keys they touch.
    await q.query(`
      CREATE FUNCTION media_files_count_refresh() RETURNS trigger
        LANGUAGE plpgsql
        AS $$
        BEGIN
          INSERT INTO media_file_counts AS c (access_level, created_by, file_type, slot, active)
          SELECT d.access_level, d.created_by, d.file_type, d.slot, sum(d.delta)
            FROM (
              SELECT OLD.access_level, media_count_owner(OLD.access_level, OLD.created_by), OLD.file_type,
                     (abs(hashtext(OLD.id::text)) % 8)::smallint, -1
               WHERE TG_OP IN ('UPDATE', 'DELETE') AND OLD.deleted_at IS NULL
              UNION ALL
              SELECT NEW.access_level, media_count_owner(NEW.access_level, NEW.created_by), NEW.file_type,
                     (abs(hashtext(NEW.id::text)) % 8)::smallint, 1
               WHERE TG_OP IN ('INSERT', 'UPDATE') AND NEW.deleted_at IS NULL
            ) d (access_level, created_by, file_type, slot, delta)
           GROUP BY 1, 2, 3, 4 HAVING sum(d.delta) <> 0
           ORDER BY 1, 2, 3, 4
          ON CONFLICT (access_level, created_by, file_type, slot) DO UPDATE SET active = c.active + EXCLUDED.active;
          RETURN NULL;
        END
        $$`);
    await q.query(`
      CREATE TRIGGER "media_files_count_refresh"
        AFTER INSERT OR DELETE OR UPDATE OF access_level, created_by, file_type, deleted_at ON "media_files"
        FOR EACH ROW EXECUTE FUNCTION media_files_count_refresh()`);

    await q.query(`
      CREATE FUNCTION media_search_rebuild() RETURNS void
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
          INSERT INTO search_words (word)
          SELECT word FROM ts_stat('SELECT search_vector FROM media_files')
           WHERE length(word) BETWEEN 3 AND 64 AND word !~ '^[0-9]+$'
          ON CONFLICT DO NOTHING;
          DELETE FROM media_file_counts;
          INSERT INTO media_file_counts (access_level, created_by, file_type, slot, active)
          SELECT access_level, media_count_owner(access_level, created_by), file_type,
                 (abs(hashtext(id::text)) % 8)::smallint, count(*)
            FROM media_files WHERE deleted_at IS NULL
           GROUP BY 1, 2, 3, 4;
        $$`);
    await q.query(`SELECT media_search_rebuild()`);

    await q.query(
      `CREATE INDEX "media_files_search_idx" ON "media_files" USING gin ("search_vector") WHERE "deleted_at" IS NULL`,
    );
    const active = `WHERE "deleted_at" IS NULL`;
    await q.query(`CREATE INDEX "media_files_created_idx" ON "media_files" ("created_at", "id") ${active}`);
    await q.query(`CREATE INDEX "media_files_title_idx" ON "media_files" ("title", "id") ${active}`);
    await q.query(`CREATE INDEX "media_files_size_idx" ON "media_files" ("file_size", "id") ${active}`);
    await q.query(`CREATE INDEX "media_files_downloads_idx" ON "media_files" ("download_count", "id") ${active}`);

    await q.query(`CREATE INDEX "tags_name_trgm_idx" ON "tags" USING gin (lower("name") gin_trgm_ops)`);
    await q.query(`CREATE INDEX "collections_title_trgm_idx" ON "collections" USING gin (lower("title") gin_trgm_ops)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "collections_title_trgm_idx"`);
    await q.query(`DROP INDEX "tags_name_trgm_idx"`);
    for (const index of [
      'media_files_downloads_idx',
      'media_files_size_idx',
      'media_files_title_idx',
      'media_files_created_idx',
      'media_files_search_idx',
    ]) {
      await q.query(`DROP INDEX "${index}"`);
    }
    await q.query(`DROP TRIGGER "media_files_count_refresh" ON "media_files"`);
    await q.query(`DROP FUNCTION media_files_count_refresh()`);
    await q.query(`DROP TABLE "media_file_counts"`);
    await q.query(`DROP TRIGGER "tags_search_refresh" ON "tags"`);
    await q.query(`DROP TRIGGER "media_file_tags_search_delete" ON "media_file_tags"`);
    await q.query(`DROP TRIGGER "media_file_tags_search_insert" ON "media_file_tags"`);
    await q.query(`DROP TRIGGER "media_files_search_refresh" ON "media_files"`);
    await q.query(`DROP FUNCTION media_search_rebuild()`);
    await q.query(`DROP FUNCTION media_count_owner(access_level, uuid)`);
    await q.query(`DROP FUNCTION tags_search_refresh()`);
    await q.query(`DROP FUNCTION media_file_tags_search_refresh()`);
    await q.query(`DROP FUNCTION media_files_search_refresh()`);
    await q.query(`ALTER TABLE "media_files" DROP COLUMN "search_vector"`);
    await q.query(`DROP FUNCTION search_words_add(tsvector)`);
    await q.query(`DROP TABLE "search_words"`);
    await q.query(`DROP FUNCTION media_tag_names(uuid)`);
    await q.query(`DROP FUNCTION media_search_document(text, text, text, text)`);
    await q.query(`DROP FUNCTION search_normalize(text)`);
    // The extensions stay: other objects (or other applications in the database) may use them.
  }
}
