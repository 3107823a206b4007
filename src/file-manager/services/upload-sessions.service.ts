import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { uploadConfig } from '../../config/configuration.js';
import { inTransaction } from '../../database/transactions.js';
import { UploadClaimsRepository } from '../repositories/upload-claims.repository.js';
import { StorageDeletionQueue } from './storage-deletion-queue.service.js';

export const OBJECT_KEY_PREFIX = 'objects/';

export interface UploadSession {
  objectKey: string;
  /** Stops the heartbeat; call once the upload is recorded or abandoned. */
  close(): void;
}

/**
 * Claims on objects that uploads are writing but have not recorded yet. The claim is committed *before* the
 * first byte is written and kept fresh by a heartbeat, so garbage collection (which skips claimed keys) can never
 * delete an object an upload is about to record; a claim whose process died goes stale and is collected.
 */
@Injectable()
export class UploadSessionsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly claims: UploadClaimsRepository,
    private readonly deletions: StorageDeletionQueue,
    @Inject(uploadConfig.KEY) private readonly config: ConfigType<typeof uploadConfig>,
  ) {}

  async open(): Promise<UploadSession> {
    // A fresh key per stored incarnation: a delete queued for an older copy of the same content can't reach it.
    const objectKey = `${OBJECT_KEY_PREFIX}${randomUUID()}`;
    await this.claims.insert(objectKey);
    const heartbeatMs = Math.max(1000, (this.config.uploadSessionTimeoutSeconds * 1000) / 4);
    const heartbeat = setInterval(() => {
      this.claims.touch(objectKey).catch(() => undefined);
    }, heartbeatMs);
    heartbeat.unref();
    return { objectKey, close: () => clearInterval(heartbeat) };
  }

  /** Gives up an upload's object: drops the claim and queues the object's deletion, in one transaction. */
  async abandon(session: UploadSession): Promise<void> {
    session.close();
    await inTransaction(this.dataSource, async (runner) => {
      await this.claims.take(runner, session.objectKey);
      await this.deletions.enqueue(runner, [session.objectKey], 'failed-upload');
    });
    this.deletions.drainSoon();
  }
}
