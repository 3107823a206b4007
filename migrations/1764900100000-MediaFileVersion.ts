import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Media files gain `version`: 1, plus one per replacement of their content (`PUT /api/files/:id/content`). */
export class MediaFileVersion1764900100000 implements MigrationInterface {
  name = 'MediaFileVersion1764900100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE media_files ADD COLUMN version integer NOT NULL DEFAULT 1`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE media_files DROP COLUMN version`);
  }
}
