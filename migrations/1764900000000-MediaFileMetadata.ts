import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Media files gain `metadata`: a free-form JSON object a client keeps with the file (the seed's `annotation` lives
 * in it). The size limit (16 KiB serialized) is the application's; the database only insists on an object.
 */
export class MediaFileMetadata1764900000000 implements MigrationInterface {
  name = 'MediaFileMetadata1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE media_files ADD COLUMN metadata jsonb NOT NULL DEFAULT '{}'::jsonb`);
    await q.query(
      `ALTER TABLE media_files ADD CONSTRAINT media_files_metadata_object CHECK (jsonb_typeof(metadata) = 'object')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE media_files DROP COLUMN metadata`);
  }
}
