import { Injectable } from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';
import { CONTENT_LOCK_CLASS } from '../../database/locks.js';
import { isKeyAccountedFor, unaccountedKeys } from '../../database/object-keys.js';
import { firstRow, rows } from './db.js';

/** A stored content: its hash and the key of its one object in the bucket. */
export interface ContentRow {
  hash: string;
  objectKey: string;
}

/**
 * `stored_objects`: one row per stored content. The content lock (see HashCleanupService) is the advisory lock of
 * `lockHash` and then the row's lock.
 */
@Injectable()
export class StoredObjectsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The advisory half of the content lock: held until the transaction ends, whether or not the content is stored. */
  async lockHash(runner: QueryRunner, hash: string): Promise<void> {
    await runner.query(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, [CONTENT_LOCK_CLASS, hash]);
  }

  /** The content row FOR UPDATE, if the content is stored. */
  lockRow(runner: QueryRunner, hash: string): Promise<ContentRow | undefined> {
    return firstRow(runner, `SELECT hash, object_key AS "objectKey" FROM stored_objects WHERE hash = $1 FOR UPDATE`, [
      hash,
    ]);
  }

  /**
   * Inserts the content row pointing at `objectKey`, or (when the content is already stored) answers the existing
   * row: locked either way. `DO UPDATE` rather than `DO NOTHING`: only the former locks the row.
   */
  async upsert(runner: QueryRunner, content: { hash: string; objectKey: string; size: number }): Promise<ContentRow> {
    const [row] = await rows<ContentRow>(
      runner,
      `INSERT INTO stored_objects (hash, object_key, size) VALUES ($1, $2, $3)
       ON CONFLICT (hash) DO UPDATE SET updated_at = now()
       RETURNING hash, object_key AS "objectKey"`,
      [content.hash, content.objectKey, content.size],
    );
    return row;
  }

  /** Points the content at another object (its old one vanished from storage); it is unverified until checked. */
  async repoint(runner: QueryRunner, hash: string, objectKey: string): Promise<void> {
    await runner.query(`UPDATE stored_objects SET object_key = $2, verified_at = NULL WHERE hash = $1`, [
      hash,
      objectKey,
    ]);
  }

  /** Whether a media file (active or trashed) or a pending file in status `pending` has this hash. */
  async isReferenced(runner: QueryRunner, hash: string): Promise<boolean> {
    const [{ referenced }] = await rows<{ referenced: boolean }>(
      runner,
      `SELECT EXISTS (SELECT 1 FROM media_files WHERE hash = $1)
           OR EXISTS (SELECT 1 FROM pending_files WHERE hash = $1 AND status = 'pending') AS referenced`,
      [hash],
    );
    return referenced;
  }

  /** The stored contents `isReferenced` would answer false for (read without locks: candidates to re-check). */
  async unreferencedHashes(): Promise<string[]> {
    const found = await rows<{ hash: string }>(
      this.dataSource,
      `SELECT s.hash FROM stored_objects s
        WHERE NOT EXISTS (SELECT 1 FROM media_files m WHERE m.hash = s.hash)
          AND NOT EXISTS (SELECT 1 FROM pending_files p WHERE p.hash = s.hash AND p.status = 'pending')`,
    );
    return found.map((row) => row.hash);
  }

  /** Deletes the content row; answers the key of the object it pointed at (none when there was no row). */
  async delete(runner: QueryRunner, hash: string): Promise<string[]> {
    const freed = await rows<{ objectKey: string }>(
      runner,
      `DELETE FROM stored_objects WHERE hash = $1 RETURNING object_key AS "objectKey"`,
      [hash],
    );
    return freed.map((row) => row.objectKey);
  }

  async objectKeyOf(hash: string): Promise<string | undefined> {
    return (
      await firstRow<{ objectKey: string }>(
        this.dataSource,
        `SELECT object_key AS "objectKey" FROM stored_objects WHERE hash = $1`,
        [hash],
      )
    )?.objectKey;
  }

  /** The next stored contents after `afterHash`, in hash order. */
  async batchAfter(afterHash: string, limit: number): Promise<Array<ContentRow & { size: number }>> {
    const found = await rows<ContentRow & { size: string }>(
      this.dataSource,
      `SELECT hash, object_key AS "objectKey", size FROM stored_objects WHERE hash > $1 ORDER BY hash LIMIT $2`,
      [afterHash, limit],
    );
    return found.map((row) => ({ ...row, size: Number(row.size) }));
  }

  async markVerified(hash: string): Promise<void> {
    await this.dataSource.query(`UPDATE stored_objects SET verified_at = now() WHERE hash = $1`, [hash]);
  }

  async pointsTo(hash: string, objectKey: string): Promise<boolean> {
    const found = await rows(this.dataSource, `SELECT 1 FROM stored_objects WHERE hash = $1 AND object_key = $2`, [
      hash,
      objectKey,
    ]);
    return found.length > 0;
  }

  async allObjectKeys(): Promise<string[]> {
    const found = await rows<{ objectKey: string }>(
      this.dataSource,
      `SELECT object_key AS "objectKey" FROM stored_objects`,
    );
    return found.map((row) => row.objectKey);
  }

  /** Of `keys`, those no content row points at and no queued deletion names (read without locks: candidates). */
  unclaimedKeys(keys: string[]): Promise<string[]> {
    return unaccountedKeys(this.dataSource, 'stored_objects', keys);
  }

  /** Whether a content row points at the key or a queued deletion names it, in the caller's snapshot. */
  isKeyAccountedFor(runner: QueryRunner, key: string): Promise<boolean> {
    return isKeyAccountedFor(runner, 'stored_objects', key);
  }
}
