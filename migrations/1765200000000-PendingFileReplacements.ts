import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A member's replacement of a media file's content (`PUT /api/files/:id/content`) waits for moderation as a pending
 * file that names the file it replaces: `replaces_media_file_id`, null for an ordinary upload.
 *
 * No foreign key, on purpose (like `media_file_id`, the file a record was approved into). The target may be purged
 * while the replacement waits, and the record must go on saying it is a replacement: `ON DELETE SET NULL` would turn
 * it into an ordinary upload an admin could approve as a new file; `CASCADE` would delete a moderation record (and
 * a reference to its content) outside the content lock; `RESTRICT` would make a purge fail, or take the content
 * locks of every replacement of the file. The approval checks the target under its locks instead: gone or trashed
 * answers `409 REPLACEMENT_TARGET_GONE` and the pending file stays (docs/library-operations.md).
 */
export class PendingFileReplacements1765200000000 implements MigrationInterface {
  name = 'PendingFileReplacements1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE pending_files ADD COLUMN replaces_media_file_id uuid`);
    // A file's waiting replacements: a newer one supersedes them.
    await q.query(`
      CREATE INDEX pending_files_replaces_idx ON pending_files (replaces_media_file_id)
       WHERE status = 'pending' AND replaces_media_file_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX pending_files_replaces_idx`);
    await q.query(`ALTER TABLE pending_files DROP COLUMN replaces_media_file_id`);
  }
}
