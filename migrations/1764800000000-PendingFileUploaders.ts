import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every member who uploaded a pending file's content (issue 13 item 9): a re-upload of pending content by another
 * member used to take the record over (`uploaded_by` changed, the first uploader lost sight of it). `uploaded_by`
 * stays the first uploader of the record's current round; `pending_file_uploaders` lists them all, in the order
 * they first uploaded it. Backfilled with each record's `uploaded_by`.
 */
export class PendingFileUploaders1764800000000 implements MigrationInterface {
  name = 'PendingFileUploaders1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE pending_file_uploaders (
        pending_file_id uuid NOT NULL REFERENCES pending_files (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        first_uploaded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (pending_file_id, user_id)
      )`);
    // A member's queue: the pending files they are an uploader of.
    await q.query(`CREATE INDEX pending_file_uploaders_user_idx ON pending_file_uploaders (user_id, pending_file_id)`);
    await q.query(`
      INSERT INTO pending_file_uploaders (pending_file_id, user_id, first_uploaded_at)
      SELECT id, uploaded_by, updated_at FROM pending_files`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE pending_file_uploaders`);
  }
}
