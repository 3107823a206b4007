import { Injectable } from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';
import { lockObjectClaim } from '../../database/object-keys.js';
import { rows } from './db.js';

/** `upload_sessions`: claims on objects that uploads are writing but have not recorded yet. */
@Injectable()
export class UploadClaimsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(objectKey: string): Promise<void> {
    await this.dataSource.query(`INSERT INTO upload_sessions (object_key) VALUES ($1)`, [objectKey]);
  }

  async touch(objectKey: string): Promise<void> {
    await this.dataSource.query(`UPDATE upload_sessions SET touched_at = now() WHERE object_key = $1`, [objectKey]);
  }

  /** Deletes the claim; answers whether it was still there (a lapsed claim may have been collected). */
  async take(runner: QueryRunner, objectKey: string): Promise<boolean> {
    const taken = await rows(runner, `DELETE FROM upload_sessions WHERE object_key = $1 RETURNING object_key`, [
      objectKey,
    ]);
    return taken.length > 0;
  }

  /** The claim on the key FOR UPDATE (waiting for an upload recording right now), and whether it is still fresh. */
  lock(runner: QueryRunner, objectKey: string, timeoutSeconds: number): Promise<{ live: boolean } | undefined> {
    return lockObjectClaim(runner, objectKey, timeoutSeconds);
  }

  /** Drops claims not touched for `timeoutSeconds`; answers how many. */
  async dropStale(timeoutSeconds: number): Promise<number> {
    const dropped = await rows(
      this.dataSource,
      `DELETE FROM upload_sessions WHERE touched_at < now() - make_interval(secs => $1) RETURNING object_key`,
      [timeoutSeconds],
    );
    return dropped.length;
  }
}
