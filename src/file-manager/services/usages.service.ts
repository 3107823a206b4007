import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import { inTransaction } from '../../database/transactions.js';
import { readableCondition } from '../access-policy.js';
import type { UsageDto } from '../dto/library.dto.js';
import { MediaFileNotFoundException } from '../file-manager.errors.js';
import { SqlParams } from '../../database/sql.js';
import type { UsageResponse } from '../dto/usage.response.js';

export type UsageView = UsageResponse;

/**
 * Where a media file is used. A file in use cannot be trashed: TrashService checks for usages under the media
 * row's `FOR UPDATE` lock, and recording a usage holds the same row `FOR SHARE` (the two conflict) while it checks
 * that the file is active and inserts — so a usage and a trash racing each other can never both succeed.
 */
@Injectable()
export class UsagesService {
  constructor(private readonly dataSource: DataSource) {}

  /** Idempotent: `created` is false when this usage was already recorded (its original date is kept). */
  async record(mediaFileId: string, dto: UsageDto, user: AuthenticatedUser): Promise<{ created: boolean; usage: UsageView }> {
    return inTransaction(this.dataSource, async (runner) => {
      const params = new SqlParams();
      const [file] = (await runner.query(
        `SELECT m.id FROM media_files m
          WHERE m.id = ${params.add(mediaFileId)} AND m.deleted_at IS NULL AND ${params.named(readableCondition(user))}
            FOR SHARE`,
        params.values,
      )) as unknown[];
      if (!file) throw new MediaFileNotFoundException();
      const inserted = (await runner.query(
        `INSERT INTO media_usages (media_file_id, content_type, content_id, created_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING RETURNING created_at AS "createdAt"`,
        [mediaFileId, dto.contentType, dto.contentId, user.id],
      )) as Array<{ createdAt: Date }>;
      const [row] = inserted.length
        ? inserted
        : ((await runner.query(
            `SELECT created_at AS "createdAt" FROM media_usages WHERE media_file_id = $1 AND content_type = $2 AND content_id = $3`,
            [mediaFileId, dto.contentType, dto.contentId],
          )) as Array<{ createdAt: Date }>);
      return {
        created: inserted.length > 0,
        usage: { contentType: dto.contentType, contentId: dto.contentId, createdAt: row.createdAt.toISOString() },
      };
    });
  }

  /** Idempotent too: removing a usage that is not recorded succeeds. */
  async remove(mediaFileId: string, dto: UsageDto, user: AuthenticatedUser): Promise<void> {
    await this.assertReadable(mediaFileId, user);
    await this.dataSource.query(
      `DELETE FROM media_usages WHERE media_file_id = $1 AND content_type = $2 AND content_id = $3`,
      [mediaFileId, dto.contentType, dto.contentId],
    );
  }

  async list(mediaFileId: string, user?: AuthenticatedUser): Promise<{ count: number; usages: UsageView[] }> {
    await this.assertReadable(mediaFileId, user);
    const rows = (await this.dataSource.query(
      `SELECT content_type AS "contentType", content_id AS "contentId", created_at AS "createdAt"
         FROM media_usages WHERE media_file_id = $1 ORDER BY created_at, content_type, content_id`,
      [mediaFileId],
    )) as Array<{ contentType: string; contentId: string; createdAt: Date }>;
    const usages = rows.map((row) => ({ ...row, createdAt: row.createdAt.toISOString() }));
    return { count: usages.length, usages };
  }

  private async assertReadable(mediaFileId: string, user?: AuthenticatedUser): Promise<void> {
    const params = new SqlParams();
    const [file] = (await this.dataSource.query(
      `SELECT m.id FROM media_files m
        WHERE m.id = ${params.add(mediaFileId)} AND m.deleted_at IS NULL AND ${params.named(readableCondition(user))}`,
      params.values,
    )) as unknown[];
    if (!file) throw new MediaFileNotFoundException();
  }
}
