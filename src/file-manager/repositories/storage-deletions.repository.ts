import { Injectable } from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';
import { queueObjectDeletions, type DeletionReason } from '../../database/object-keys.js';
import { rows } from './db.js';

export type { DeletionReason };

export interface DueDeletion {
  id: string;
  objectKey: string;
  attempts: number;
  /** A content row points at the key (cannot happen by construction: keys are never reused). */
  stillReferenced: boolean;
}

/** `storage_deletions`: the outbox of object deletes. */
@Injectable()
export class StorageDeletionsRepository {
  constructor(private readonly dataSource: DataSource) {}

  enqueue(runner: QueryRunner, objectKeys: string[], reason: DeletionReason): Promise<void> {
    return queueObjectDeletions(runner, objectKeys, reason);
  }

  /**
   * Leases up to `limit` due deletes for `leaseSeconds`, in one statement: they are not due again (for this or any
   * other instance) until the lease runs out, so the caller can carry them out without holding a transaction open.
   * Rows another instance is leasing right now are skipped (`SKIP LOCKED`).
   */
  leaseDue(limit: number, leaseSeconds: number): Promise<DueDeletion[]> {
    return rows(
      this.dataSource,
      `UPDATE storage_deletions d SET next_attempt_at = now() + make_interval(secs => $2)
         FROM (SELECT id FROM storage_deletions WHERE next_attempt_at <= now() ORDER BY id LIMIT $1
                 FOR UPDATE SKIP LOCKED) due
        WHERE d.id = due.id
        RETURNING d.id, d.object_key AS "objectKey", d.attempts,
                  EXISTS (SELECT 1 FROM stored_objects s WHERE s.object_key = d.object_key) AS "stillReferenced"`,
      [limit, leaseSeconds],
    );
  }

  async delete(id: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM storage_deletions WHERE id = $1`, [id]);
  }

  async recordFailure(id: string, error: string, backoffSeconds: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE storage_deletions
          SET attempts = attempts + 1, last_error = $2, next_attempt_at = now() + make_interval(secs => $3)
        WHERE id = $1`,
      [id, error, backoffSeconds],
    );
  }
}
