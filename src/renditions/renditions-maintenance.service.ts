import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { DataSource } from 'typeorm';
import { uploadConfig } from '../config/configuration.js';
import { inTransaction } from '../database/transactions.js';
import { ObjectStorage, type StoredObjectInfo } from '../storage/object-storage.js';
import { RenditionJobsRepository } from './rendition-jobs.repository.js';
import { RENDITION_KEY_PREFIX } from './renditions.constants.js';

export interface RenditionGarbageReport {
  orphanObjectsQueued: number;
  staleClaims: number;
}

export interface RenditionIntegrityReport {
  checked: number;
  ok: number;
  missing: number;
  missingKeys: string[];
}

const REPORTED_KEYS_LIMIT = 100;

/**
 * The renditions' share of garbage collection and verification, for the maintenance jobs to call beside the
 * content's: objects under `renditions/` that no rendition row records and no live worker claims (a worker
 * that died between writing and recording) are queued for deletion; rendition rows whose object is missing are
 * reported, never "repaired" by deleting anything.
 */
@Injectable()
export class RenditionsMaintenance {
  private readonly logger = new Logger(RenditionsMaintenance.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly storage: ObjectStorage,
    private readonly jobs: RenditionJobsRepository,
    @Inject(uploadConfig.KEY) private readonly config: ConfigType<typeof uploadConfig>,
  ) {}

  /** Queues orphan rendition objects (older than `ORPHAN_GRACE_MINUTES`) into the deletion outbox. */
  async collectOrphans(): Promise<RenditionGarbageReport> {
    const graceMs = this.config.orphanGraceMinutes * 60_000;
    const report: RenditionGarbageReport = { orphanObjectsQueued: 0, staleClaims: 0 };
    let batch: StoredObjectInfo[] = [];
    const flush = async () => {
      const old = batch.filter((object) => Date.now() - object.lastModified.getTime() >= graceMs);
      batch = [];
      for (const key of await this.jobs.unrecordedKeys(old.map((object) => object.key))) {
        const outcome = await this.queueIfOrphan(key);
        if (outcome !== 'kept') report.orphanObjectsQueued += 1;
        if (outcome === 'stale') report.staleClaims += 1;
      }
    };
    for await (const object of this.storage.list(RENDITION_KEY_PREFIX)) {
      batch.push(object);
      if (batch.length >= 500) await flush();
    }
    await flush();
    if (report.orphanObjectsQueued) this.logger.log(`Queued ${report.orphanObjectsQueued} orphan rendition(s)`);
    return report;
  }

  /** Checks that every recorded rendition's object exists with its recorded size. Reports; deletes nothing. */
  async verify(): Promise<RenditionIntegrityReport> {
    const report: RenditionIntegrityReport = { checked: 0, ok: 0, missing: 0, missingKeys: [] };
    let after = '';
    for (;;) {
      const batch = await this.jobs.recordedObjectsAfter(after, 500);
      if (batch.length === 0) return report;
      for (const { objectKey, size } of batch) {
        const info = await this.storage.stat(objectKey);
        if (info && info.size === size) {
          report.ok += 1;
          report.checked += 1;
        } else if (await this.jobs.isRecorded(objectKey)) {
          report.checked += 1;
          report.missing += 1;
          if (report.missingKeys.length < REPORTED_KEYS_LIMIT) report.missingKeys.push(objectKey);
        }
      }
      after = batch[batch.length - 1].objectKey;
    }
  }

  /** Every object key a rendition row records (the storage report counts them as referenced). */
  recordedKeys(): Promise<string[]> {
    return this.jobs.recordedKeys();
  }

  /**
   * The claim row first (a worker recording right now deletes it in its transaction, so we wait for that commit),
   * then a fresh look at the renditions and the outbox: the same order the content GC uses for uploads.
   */
  private queueIfOrphan(key: string): Promise<'kept' | 'orphan' | 'stale'> {
    return inTransaction(this.dataSource, async (runner) => {
      const claim = await this.jobs.lockClaim(runner, key, this.config.uploadSessionTimeoutSeconds);
      if (claim?.live) return 'kept';
      if (await this.jobs.isKeyAccountedFor(runner, key)) return 'kept';
      if (claim) await this.jobs.releaseKeys(runner, [key]);
      await this.jobs.queueDeletions(runner, [key], 'orphan');
      return claim ? 'stale' : 'orphan';
    });
  }
}
