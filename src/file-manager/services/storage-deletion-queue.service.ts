import { Injectable, Logger, Optional } from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';
import { inTransaction } from '../../database/transactions.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import { ObjectStorage } from '../../storage/object-storage.js';

export type DeletionReason = 'content-released' | 'duplicate-upload' | 'failed-upload' | 'orphan';

export interface DeletionRunResult {
  deleted: number;
  failed: number;
}

const BATCH_SIZE = 100;
const MAX_BACKOFF_SECONDS = 3600;

/**
 * The outbox of object deletes. A delete is *written* in the same transaction that frees the object (so a crash
 * can never forget it, and a rollback never performs it) and *carried out* after commit, here, with retries and
 * backoff while storage is failing. Several instances drain the queue together (`FOR UPDATE SKIP LOCKED`).
 */
@Injectable()
export class StorageDeletionQueue {
  private readonly logger = new Logger(StorageDeletionQueue.name);
  private draining: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dataSource: DataSource,
    private readonly storage: ObjectStorage,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  /** Records that `objectKeys` must be deleted once the caller's transaction commits. */
  async enqueue(runner: QueryRunner, objectKeys: string[], reason: DeletionReason): Promise<void> {
    if (objectKeys.length === 0) return;
    await runner.query(
      `INSERT INTO storage_deletions (object_key, reason) SELECT unnest($1::varchar[]), $2`,
      [objectKeys, reason],
    );
  }

  /**
   * Starts draining in the background after a commit that enqueued deletes. Only an optimisation: the scheduled
   * job drains whatever this misses (a crash, storage down).
   */
  drainSoon(): void {
    this.draining = this.draining
      .then(() => this.processDue())
      .catch((error: unknown) => this.logger.warn(`Deferred object deletion failed: ${String(error)}`));
  }

  /** Waits for the background drain started by `drainSoon` (tests and shutdown). */
  async settled(): Promise<void> {
    await this.draining;
  }

  /** Carries out every delete that is due; failed ones are retried later with exponential backoff. */
  async processDue(): Promise<DeletionRunResult> {
    const total: DeletionRunResult = { deleted: 0, failed: 0 };
    for (;;) {
      const batch = await this.processBatch();
      total.deleted += batch.deleted;
      total.failed += batch.failed;
      if (batch.claimed < BATCH_SIZE) return total;
    }
  }

  private processBatch(): Promise<DeletionRunResult & { claimed: number }> {
    return inTransaction(this.dataSource, async (runner) => {
      const due = (await runner.query(
        `SELECT d.id, d.object_key AS "objectKey", d.attempts,
                EXISTS (SELECT 1 FROM stored_objects s WHERE s.object_key = d.object_key) AS "stillReferenced"
           FROM storage_deletions d
          WHERE d.next_attempt_at <= now()
          ORDER BY d.id
          LIMIT $1
          FOR UPDATE OF d SKIP LOCKED`,
        [BATCH_SIZE],
      )) as Array<{ id: string; objectKey: string; attempts: number; stillReferenced: boolean }>;
      const result = { deleted: 0, failed: 0, claimed: due.length };
      for (const deletion of due) {
        if (deletion.stillReferenced) {
          // Cannot happen by construction (keys are never reused); if it ever does, keeping the bytes is the safe side.
          this.logger.error(`Refusing to delete an object that a stored content row still references (id ${deletion.id})`);
          await runner.query(`DELETE FROM storage_deletions WHERE id = $1`, [deletion.id]);
          continue;
        }
        try {
          await this.storage.remove(deletion.objectKey);
          await runner.query(`DELETE FROM storage_deletions WHERE id = $1`, [deletion.id]);
          result.deleted += 1;
          this.metrics?.objectsCollected.inc();
        } catch (error) {
          const backoffSeconds = Math.min(2 ** Math.min(deletion.attempts, 12), MAX_BACKOFF_SECONDS);
          await runner.query(
            `UPDATE storage_deletions
                SET attempts = attempts + 1, last_error = $2, next_attempt_at = now() + make_interval(secs => $3)
              WHERE id = $1`,
            [deletion.id, String(error).slice(0, 500), backoffSeconds],
          );
          result.failed += 1;
        }
      }
      return result;
    });
  }
}
