import { Injectable, Logger, Optional } from '@nestjs/common';
import type { QueryRunner } from 'typeorm';
import { MetricsService } from '../../metrics/metrics.service.js';
import { ObjectStorage } from '../../storage/object-storage.js';
import { StorageDeletionsRepository, type DeletionReason } from '../repositories/storage-deletions.repository.js';

export type { DeletionReason } from '../repositories/storage-deletions.repository.js';

export interface DeletionRunResult {
  deleted: number;
  failed: number;
}

const BATCH_SIZE = 100;
const MAX_BACKOFF_SECONDS = 3600;
/**
 * How long a batch is leased to the instance carrying it out: longer than a batch of deletes can take (100 calls
 * with the client's own timeouts), short enough that a crash mid-batch delays those deletes only a little.
 */
const LEASE_SECONDS = 300;

/**
 * The outbox of object deletes. A delete is *written* in the same transaction that frees the object (so a crash
 * can never forget it, and a rollback never performs it) and *carried out* after commit, here, with retries and
 * backoff while storage is failing. Several instances drain the queue together: each leases a batch in one
 * statement (`FOR UPDATE SKIP LOCKED`), then calls storage with no transaction open and no row locked.
 */
@Injectable()
export class StorageDeletionQueue {
  private readonly logger = new Logger(StorageDeletionQueue.name);
  private draining: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly outbox: StorageDeletionsRepository,
    private readonly storage: ObjectStorage,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  /** Records that `objectKeys` must be deleted once the caller's transaction commits. */
  enqueue(runner: QueryRunner, objectKeys: string[], reason: DeletionReason): Promise<void> {
    return this.outbox.enqueue(runner, objectKeys, reason);
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

  private async processBatch(): Promise<DeletionRunResult & { claimed: number }> {
    const due = await this.outbox.leaseDue(BATCH_SIZE, LEASE_SECONDS);
    const result = { deleted: 0, failed: 0, claimed: due.length };
    for (const deletion of due) {
      if (deletion.stillReferenced) {
        // Cannot happen by construction (keys are never reused); if it ever does, keeping the bytes is the safe side.
        this.logger.error(
          `Refusing to delete an object that a stored content row still references (id ${deletion.id})`,
        );
        await this.outbox.delete(deletion.id);
        continue;
      }
      try {
        await this.storage.remove(deletion.objectKey);
      } catch (error) {
        const backoffSeconds = Math.min(2 ** Math.min(deletion.attempts, 12), MAX_BACKOFF_SECONDS);
        await this.outbox.recordFailure(deletion.id, String(error).slice(0, 500), backoffSeconds);
        result.failed += 1;
        continue;
      }
      await this.outbox.delete(deletion.id);
      result.deleted += 1;
      this.metrics?.objectsCollected.inc();
    }
    return result;
  }
}
