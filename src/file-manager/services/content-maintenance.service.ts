import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { uploadConfig } from '../../config/configuration.js';
import { inTransaction } from '../../database/transactions.js';
import {
  RenditionsMaintenance,
  type RenditionIntegrityReport,
} from '../../renditions/renditions-maintenance.service.js';
import { ObjectStorage, type StoredObjectInfo } from '../../storage/object-storage.js';
import { ObjectNotFoundException } from '../../storage/storage.errors.js';
import { PendingFilesRepository } from '../repositories/pending-files.repository.js';
import { StoredObjectsRepository } from '../repositories/stored-objects.repository.js';
import { UploadClaimsRepository } from '../repositories/upload-claims.repository.js';
import { HashCleanupService } from './hash-cleanup.service.js';
import { StorageDeletionQueue } from './storage-deletion-queue.service.js';
import { OBJECT_KEY_PREFIX } from './upload-sessions.service.js';

export interface GarbageCollectionReport {
  releasedContents: number;
  orphanObjectsQueued: number;
  staleUploadSessions: number;
  /** Objects under `renditions/` that no rendition records and no live worker claims (a worker died writing). */
  orphanRenditionsQueued: number;
  objectsDeleted: number;
  deletionsFailed: number;
}

export interface IntegrityReport {
  checked: number;
  ok: number;
  missing: number;
  corrupt: number;
  missingHashes: string[];
  corruptHashes: string[];
  /** Recorded renditions whose object is missing or has another size (repaired by rendering again). */
  renditions: RenditionIntegrityReport;
}

export interface StorageReport {
  objects: number;
  bytes: number;
  referencedObjects: number;
  orphanObjects: number;
  missingObjects: number;
}

const REPORTED_HASHES_LIMIT = 100;

/** Called after each stored object is checked (the CLI draws a progress bar with it). */
export type VerifyProgressListener = (progress: { checked: number; bytes: number }) => void;

/**
 * The jobs that reconcile the database with the bucket: expire pending uploads, collect garbage, verify integrity,
 * report. Each decision that deletes anything is re-checked under the same locks the request paths take.
 */
@Injectable()
export class ContentMaintenanceService {
  private readonly logger = new Logger(ContentMaintenanceService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly storage: ObjectStorage,
    private readonly hashCleanup: HashCleanupService,
    private readonly deletions: StorageDeletionQueue,
    private readonly contents: StoredObjectsRepository,
    private readonly claims: UploadClaimsRepository,
    private readonly pendingFiles: PendingFilesRepository,
    private readonly renditions: RenditionsMaintenance,
    @Inject(uploadConfig.KEY) private readonly config: ConfigType<typeof uploadConfig>,
  ) {}

  /** Marks pending files past their expiry as expired, freeing their content unless still needed. */
  async expirePending(): Promise<{ expired: number }> {
    let expired = 0;
    for (const id of await this.pendingFiles.expiredIds(10_000)) if (await this.hashCleanup.expire(id)) expired += 1;
    return { expired };
  }

  /**
   * Collects garbage in four steps: content rows no record needs (normally none), objects in the bucket that no
   * content row references and no live upload claims (crash debris), the same for rendition objects (no rendition
   * row, no live worker claim), then the deletion outbox.
   */
  async collectGarbage(): Promise<GarbageCollectionReport> {
    const releasedContents = await this.hashCleanup.collect();
    const { queued, staleSessions } = await this.queueOrphanObjects();
    const renditions = await this.renditions.collectOrphans();
    const { deleted, failed } = await this.deletions.processDue();
    return {
      releasedContents,
      orphanObjectsQueued: queued,
      staleUploadSessions: staleSessions + renditions.staleClaims,
      orphanRenditionsQueued: renditions.orphanObjectsQueued,
      objectsDeleted: deleted,
      deletionsFailed: failed,
    };
  }

  /**
   * Re-hashes every stored object and compares with its content hash, then checks that every recorded rendition's
   * object exists (`renditions`). Reports; never deletes anything.
   */
  async verifyIntegrity(onProgress?: VerifyProgressListener): Promise<IntegrityReport> {
    const report = { checked: 0, ok: 0, missing: 0, corrupt: 0, missingHashes: [], corruptHashes: [] };
    return { ...(await this.verifyContents(report, onProgress)), renditions: await this.renditions.verify() };
  }

  private async verifyContents(
    report: Omit<IntegrityReport, 'renditions'>,
    onProgress?: VerifyProgressListener,
  ): Promise<Omit<IntegrityReport, 'renditions'>> {
    let after = '';
    let seen = 0;
    let bytes = 0;
    for (;;) {
      const batch = await this.contents.batchAfter(after, 100);
      if (batch.length === 0) return report;
      for (const { hash, objectKey, size } of batch) {
        report.checked += 1;
        const actual = await this.hashObject(objectKey);
        if (actual === hash) {
          report.ok += 1;
          await this.contents.markVerified(hash);
        } else if (actual === null) {
          // Re-read the row: content freed (or repointed by an upload) while we looked is not missing.
          if (await this.contents.pointsTo(hash, objectKey)) {
            report.missing += 1;
            if (report.missingHashes.length < REPORTED_HASHES_LIMIT) report.missingHashes.push(hash);
          } else report.checked -= 1;
        } else {
          report.corrupt += 1;
          if (report.corruptHashes.length < REPORTED_HASHES_LIMIT) report.corruptHashes.push(hash);
        }
        seen += 1;
        bytes += size;
        onProgress?.({ checked: seen, bytes });
      }
      after = batch[batch.length - 1].hash;
    }
    // (unreachable)
  }

  /** Objects in the bucket against the keys recorded for contents and their renditions. */
  async storageReport(): Promise<StorageReport> {
    const referenced = new Set([...(await this.contents.allObjectKeys()), ...(await this.renditions.recordedKeys())]);
    const report: StorageReport = { objects: 0, bytes: 0, referencedObjects: 0, orphanObjects: 0, missingObjects: 0 };
    for await (const object of this.storage.list()) {
      report.objects += 1;
      report.bytes += object.size;
      if (referenced.delete(object.key)) report.referencedObjects += 1;
      else report.orphanObjects += 1;
    }
    report.missingObjects = referenced.size;
    return report;
  }

  private async queueOrphanObjects(): Promise<{ queued: number; staleSessions: number }> {
    const graceMs = this.config.orphanGraceMinutes * 60_000;
    let queued = 0;
    let staleSessions = 0;
    let batch: StoredObjectInfo[] = [];
    const flush = async () => {
      const result = await this.queueOrphansIn(
        batch.filter((object) => Date.now() - object.lastModified.getTime() >= graceMs),
      );
      queued += result.queued;
      staleSessions += result.staleSessions;
      batch = [];
    };
    for await (const object of this.storage.list(OBJECT_KEY_PREFIX)) {
      batch.push(object);
      if (batch.length >= 500) await flush();
    }
    await flush();
    // Claims whose uploads died before writing anything have no object to list: drop them too.
    const dropped = await this.claims.dropStale(this.config.uploadSessionTimeoutSeconds);
    return { queued, staleSessions: staleSessions + dropped };
  }

  /**
   * For each candidate key: lock its upload claim (if any) first — an upload recording right now holds that row
   * and we wait for its commit — then check content rows and the outbox with a fresh snapshot. Only a key that
   * nothing references and no live upload claims is queued for deletion.
   */
  private async queueOrphansIn(objects: StoredObjectInfo[]): Promise<{ queued: number; staleSessions: number }> {
    if (objects.length === 0) return { queued: 0, staleSessions: 0 };
    const keys = objects.map((object) => object.key);
    let queued = 0;
    let staleSessions = 0;
    for (const key of await this.contents.unclaimedKeys(keys)) {
      const outcome = await inTransaction(this.dataSource, async (runner) => {
        const claim = await this.claims.lock(runner, key, this.config.uploadSessionTimeoutSeconds);
        if (claim?.live) return 'claimed';
        if (await this.contents.isKeyAccountedFor(runner, key)) return 'referenced';
        if (claim) await this.claims.take(runner, key);
        await this.deletions.enqueue(runner, [key], 'orphan');
        return claim ? 'stale' : 'orphan';
      });
      if (outcome === 'orphan' || outcome === 'stale') queued += 1;
      if (outcome === 'stale') staleSessions += 1;
    }
    if (queued) this.logger.log(`Queued ${queued} orphan object(s) for deletion`);
    return { queued, staleSessions };
  }

  private async hashObject(objectKey: string): Promise<string | null> {
    try {
      const body = await this.storage.getStream(objectKey);
      const hasher = createHash('sha256');
      for await (const chunk of body) hasher.update(chunk as Buffer);
      return hasher.digest('hex');
    } catch (error) {
      if (error instanceof ObjectNotFoundException) return null;
      throw error;
    }
  }
}
