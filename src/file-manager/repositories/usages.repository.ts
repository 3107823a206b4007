import { Injectable } from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';
import { firstRow, rows } from './db.js';

export interface UsageKey {
  contentType: string;
  contentId: string;
}

export interface UsageRow extends UsageKey {
  createdAt: Date;
}

/** `media_usages`: where media files are used. */
@Injectable()
export class UsagesRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Records the usage unless it is; answers its date when this call recorded it. */
  async insert(
    runner: QueryRunner,
    mediaFileId: string,
    usage: UsageKey,
    createdById: string,
  ): Promise<Date | undefined> {
    const inserted = await firstRow<{ createdAt: Date }>(
      runner,
      `INSERT INTO media_usages (media_file_id, content_type, content_id, created_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING created_at AS "createdAt"`,
      [mediaFileId, usage.contentType, usage.contentId, createdById],
    );
    return inserted?.createdAt;
  }

  async createdAt(runner: QueryRunner, mediaFileId: string, usage: UsageKey): Promise<Date | undefined> {
    const row = await firstRow<{ createdAt: Date }>(
      runner,
      `SELECT created_at AS "createdAt" FROM media_usages
        WHERE media_file_id = $1 AND content_type = $2 AND content_id = $3`,
      [mediaFileId, usage.contentType, usage.contentId],
    );
    return row?.createdAt;
  }

  /**
   * Deletes the usage when `recordedBy` recorded it (any recorder with `recordedBy` undefined, for admins). Answers
   * `'deleted'`, `'absent'` (not recorded: removing is idempotent) or `'not-yours'` (recorded by someone else). One
   * statement decides the delete; a concurrent insert or delete between it and the probe only changes which of the
   * two idempotent answers a caller gets.
   */
  async deleteOwn(
    mediaFileId: string,
    usage: UsageKey,
    recordedBy: string | undefined,
  ): Promise<'deleted' | 'absent' | 'not-yours'> {
    const key = [mediaFileId, usage.contentType, usage.contentId];
    const deleted = await rows(
      this.dataSource,
      `DELETE FROM media_usages WHERE media_file_id = $1 AND content_type = $2 AND content_id = $3
          AND ($4::uuid IS NULL OR created_by = $4) RETURNING 1`,
      [...key, recordedBy ?? null],
    );
    if (deleted.length) return 'deleted';
    const left = await rows(
      this.dataSource,
      `SELECT 1 FROM media_usages WHERE media_file_id = $1 AND content_type = $2 AND content_id = $3`,
      key,
    );
    return left.length ? 'not-yours' : 'absent';
  }

  list(mediaFileId: string): Promise<UsageRow[]> {
    return rows(
      this.dataSource,
      `SELECT content_type AS "contentType", content_id AS "contentId", created_at AS "createdAt"
         FROM media_usages WHERE media_file_id = $1 ORDER BY created_at, content_type, content_id`,
      [mediaFileId],
    );
  }

  async count(runner: QueryRunner, mediaFileId: string): Promise<number> {
    const [{ count }] = await rows<{ count: number }>(
      runner,
      `SELECT count(*)::int AS count FROM media_usages WHERE media_file_id = $1`,
      [mediaFileId],
    );
    return count;
  }
}
