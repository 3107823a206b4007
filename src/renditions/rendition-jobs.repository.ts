import { Injectable } from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';
import { CONTENT_LOCK_CLASS } from '../database/locks.js';
import {
  isKeyAccountedFor,
  lockObjectClaim,
  queueObjectDeletions,
  unaccountedKeys,
  type DeletionReason,
} from '../database/object-keys.js';
import { queryRows } from '../database/sql.js';
import type { MediaInfo } from './generation/media-info.js';
import type { RenditionKind } from './renditions.constants.js';

export type RenditionStatus = 'pending' | 'running' | 'ready' | 'failed' | 'unsupported';

type Executor = Pick<DataSource | QueryRunner, 'query'>;

export interface ClaimedJob {
  hash: string;
  generatorVersion: number;
  attempts: number;
  leaseToken: string;
  /** The content's object at claim time; null when the content is no longer stored. */
  objectKey: string | null;
  size: number | null;
}

export interface JobState {
  hash: string;
  status: RenditionStatus;
  generatorVersion: number;
  attempts: number;
  failureReason: string | null;
  contentType: string | null;
  mediaInfo: MediaInfo | null;
  placeholder: string | null;
  updatedAt: Date;
}

export interface RenditionRow {
  hash: string;
  kind: RenditionKind;
  generatorVersion: number;
  objectKey: string;
  contentType: string;
  width: number;
  height: number;
  size: number;
}

export interface FinishedJob {
  status: 'ready' | 'unsupported';
  contentType: string | null;
  mediaInfo: MediaInfo | null;
  placeholder: string | null;
  renditions: Array<Omit<RenditionRow, 'hash' | 'generatorVersion'>>;
}

/** A job at an older generator version starts over (ON CONFLICT arm of both enqueues). */
const REQUEUE_OUTDATED = `ON CONFLICT (hash) DO UPDATE
   SET generator_version = EXCLUDED.generator_version, status = 'pending', attempts = 0, next_attempt_at = now(),
       failure_reason = NULL, lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL, finished_at = NULL,
       updated_at = now()
 WHERE rendition_jobs.generator_version < EXCLUDED.generator_version`;

const JOB_COLUMNS = `hash, status, generator_version AS "generatorVersion", attempts,
  failure_reason AS "failureReason", content_type AS "contentType", media_info AS "mediaInfo", placeholder,
  updated_at AS "updatedAt"`;

const RENDITION_COLUMNS = `hash, kind, generator_version AS "generatorVersion", object_key AS "objectKey",
  content_type AS "contentType", width, height, size`;

/** The SQL of the rendition queue and the renditions table; the worker and the service speak through it. */
@Injectable()
export class RenditionJobsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Queues `hash` for rendering at `generatorVersion`, idempotently: a job already at that version (whatever
   * its status) is left alone; a job of an older version starts over. Runs on the caller's transaction when
   * given one; the content row must exist (it is referenced), so call it after the content is recorded.
   */
  async enqueue(executor: Executor, hash: string, generatorVersion: number): Promise<boolean> {
    const rows = await queryRows<{ hash: string }>(
      executor,
      `INSERT INTO rendition_jobs (hash, generator_version) VALUES ($1, $2)
       ${REQUEUE_OUTDATED}
       RETURNING hash`,
      [hash, generatorVersion],
    );
    return rows.length > 0;
  }

  /**
   * Queues every stored content that has no job, or a job of an older generator version (after an upgrade, or
   * for contents stored before renditions existed). Answers how many jobs were (re)queued.
   */
  async enqueueMissing(generatorVersion: number): Promise<number> {
    const rows = await queryRows(
      this.dataSource,
      `INSERT INTO rendition_jobs (hash, generator_version)
       SELECT s.hash, $1 FROM stored_objects s
        WHERE NOT EXISTS (SELECT 1 FROM rendition_jobs j WHERE j.hash = s.hash AND j.generator_version >= $1)
       ${REQUEUE_OUTDATED}
       RETURNING hash`,
      [generatorVersion],
    );
    return rows.length;
  }

  /**
   * Jobs whose worker died after its last allowed attempt: recorded as failed rather than rendered again
   * (a content that kills its worker every time must not kill workers forever).
   */
  async failAbandoned(maxAttempts: number): Promise<number> {
    const rows = await queryRows(
      this.dataSource,
      `UPDATE rendition_jobs
          SET status = 'failed', lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL,
              failure_reason = 'the worker rendering it stopped responding (' || attempts || ' attempts)',
              finished_at = now(), updated_at = now()
        WHERE status = 'running' AND lease_expires_at <= now() AND attempts >= $1
        RETURNING hash`,
      [maxAttempts],
    );
    return rows.length;
  }

  /**
   * Takes the next due job, if any: pending and past its retry time, or running with a lapsed lease and attempts
   * left (one without is `failAbandoned`'s, never rendered again). `SKIP LOCKED` lets workers of every instance
   * claim side by side; the lease set here keeps the others off it.
   */
  async claim(owner: string, leaseSeconds: number, maxAttempts: number): Promise<ClaimedJob | null> {
    // One statement (a round trip per job matters to a busy worker). Each due kind is found through its own partial
    // index (an OR of both would scan every finished job), a dead worker's job first: it has waited longest.
    // COALESCE evaluates its second subquery only when the first finds nothing, so at most one row is locked.
    const [job] = await queryRows<Omit<ClaimedJob, 'size'> & { size: string | null }>(
      this.dataSource,
      `WITH next AS (
         SELECT coalesce(
           (SELECT hash FROM rendition_jobs WHERE status = 'running' AND lease_expires_at <= now() AND attempts < $3
             ORDER BY lease_expires_at LIMIT 1 FOR UPDATE SKIP LOCKED),
           (SELECT hash FROM rendition_jobs WHERE status = 'pending' AND next_attempt_at <= now()
             ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED)
         ) AS hash
       )
       UPDATE rendition_jobs j
          SET status = 'running', attempts = j.attempts + 1, lease_token = gen_random_uuid(), lease_owner = $1,
              lease_expires_at = now() + make_interval(secs => $2), updated_at = now()
         FROM next LEFT JOIN stored_objects s ON s.hash = next.hash
        WHERE j.hash = next.hash
       RETURNING j.hash, j.generator_version AS "generatorVersion", j.attempts, j.lease_token AS "leaseToken",
                 s.object_key AS "objectKey", s.size`,
      [owner.slice(0, 200), leaseSeconds, maxAttempts],
    );
    if (!job) return null;
    return { ...job, size: job.size === null ? null : Number(job.size) };
  }

  /** Pushes the lease forward; false when the job is no longer ours (lease lapsed and re-taken, or content gone). */
  async heartbeat(hash: string, leaseToken: string, leaseSeconds: number): Promise<boolean> {
    const rows = await queryRows(
      this.dataSource,
      `UPDATE rendition_jobs SET lease_expires_at = now() + make_interval(secs => $3)
        WHERE hash = $1 AND lease_token = $2
        RETURNING hash`,
      [hash, leaseToken, leaseSeconds],
    );
    return rows.length > 0;
  }

  /**
   * Locks the content first (the content lock every lifecycle transaction takes), then the job: answers whether
   * the content is still stored and the job still ours under that lease. Only then may a worker record.
   */
  async lockForRecording(runner: QueryRunner, hash: string, leaseToken: string): Promise<boolean> {
    await runner.query(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, [CONTENT_LOCK_CLASS, hash]);
    const rows = await queryRows(
      runner,
      `SELECT j.hash FROM rendition_jobs j JOIN stored_objects s ON s.hash = j.hash
        WHERE j.hash = $1 AND j.lease_token = $2
        FOR UPDATE OF j`,
      [hash, leaseToken],
    );
    return rows.length > 0;
  }

  /**
   * Records a finished job and its renditions (inside `lockForRecording`'s transaction). Renditions of other
   * generator versions are replaced: their objects go to the deletion outbox. Answers the replaced keys.
   */
  async recordFinished(
    runner: QueryRunner,
    hash: string,
    generatorVersion: number,
    job: FinishedJob,
  ): Promise<string[]> {
    const replaced = await queryRows<{ objectKey: string }>(
      runner,
      `DELETE FROM renditions WHERE hash = $1 RETURNING object_key AS "objectKey"`,
      [hash],
    );
    // The renditions and the job's result in one statement (two tables, so the CTE's insert and the update can't
    // meet on a row).
    await runner.query(
      `WITH inserted AS (
         INSERT INTO renditions (hash, kind, generator_version, object_key, content_type, width, height, size)
         SELECT $1, r.kind, $6, r."objectKey", r."contentType", r.width, r.height, r.size
           FROM jsonb_to_recordset($7::jsonb)
             AS r(kind varchar, "objectKey" varchar, "contentType" varchar, width int, height int, size bigint)
       )
       UPDATE rendition_jobs
          SET status = $2, content_type = $3, media_info = $4, placeholder = $5, failure_reason = NULL,
              lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL, finished_at = now(), updated_at = now()
        WHERE hash = $1`,
      [
        hash,
        job.status,
        job.contentType,
        job.mediaInfo ? JSON.stringify(job.mediaInfo) : null,
        job.placeholder,
        generatorVersion,
        JSON.stringify(job.renditions),
      ],
    );
    return replaced.map((row) => row.objectKey);
  }

  /**
   * An attempt failed: retry after `retryAfterSeconds`, or record `failed` once `maxAttempts` are spent.
   * `countsAsAttempt: false` (storage or database unavailable: not the content's fault) gives the attempt back.
   * Does nothing when the job is no longer ours.
   */
  async recordFailure(
    hash: string,
    leaseToken: string,
    failure: { reason: string; maxAttempts: number; retryAfterSeconds: number; countsAsAttempt: boolean },
  ): Promise<RenditionStatus | null> {
    const [row] = await queryRows<{ status: RenditionStatus }>(
      this.dataSource,
      `UPDATE rendition_jobs
          SET attempts = CASE WHEN $5 THEN attempts ELSE greatest(attempts - 1, 0) END,
              status = CASE WHEN $5 AND attempts >= $4 THEN 'failed' ELSE 'pending' END,
              finished_at = CASE WHEN $5 AND attempts >= $4 THEN now() END,
              next_attempt_at = now() + make_interval(secs => $6),
              failure_reason = $3, lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
        WHERE hash = $1 AND lease_token = $2
        RETURNING status`,
      [
        hash,
        leaseToken,
        failure.reason.slice(0, 1000),
        failure.maxAttempts,
        failure.countsAsAttempt,
        failure.retryAfterSeconds,
      ],
    );
    return row?.status ?? null;
  }

  /**
   * Claims fresh object keys before their bytes are written, in the claim table uploads use: garbage collection
   * never takes a claimed key, and a claim whose worker died goes stale and its object is collected.
   */
  async claimKeys(keys: string[]): Promise<void> {
    await this.dataSource.query(`INSERT INTO upload_sessions (object_key) SELECT unnest($1::varchar[])`, [keys]);
  }

  async touchKeys(keys: string[]): Promise<void> {
    await this.dataSource.query(`UPDATE upload_sessions SET touched_at = now() WHERE object_key = ANY($1)`, [keys]);
  }

  /** Drops the claims on `keys` (inside the transaction that records them, or gives them up). */
  async releaseKeys(runner: QueryRunner, keys: string[]): Promise<void> {
    await runner.query(`DELETE FROM upload_sessions WHERE object_key = ANY($1)`, [keys]);
  }

  /** Writes object deletes into the outbox, carried out after commit by the deletion queue. */
  queueDeletions(runner: QueryRunner, keys: string[], reason: DeletionReason): Promise<void> {
    return queueObjectDeletions(runner, keys, reason);
  }

  /** The claim on a key FOR UPDATE (waiting for a worker recording it right now), and whether it is still fresh. */
  lockClaim(runner: QueryRunner, key: string, timeoutSeconds: number): Promise<{ live: boolean } | undefined> {
    return lockObjectClaim(runner, key, timeoutSeconds);
  }

  /** Of `keys`, those no rendition row records and no queued deletion names (read without locks: candidates). */
  unrecordedKeys(keys: string[]): Promise<string[]> {
    return unaccountedKeys(this.dataSource, 'renditions', keys);
  }

  /** Whether a rendition row records the key or a queued deletion names it, in the caller's snapshot. */
  isKeyAccountedFor(runner: QueryRunner, key: string): Promise<boolean> {
    return isKeyAccountedFor(runner, 'renditions', key);
  }

  /** Whether a rendition row records the key now. */
  async isRecorded(objectKey: string): Promise<boolean> {
    const found = await queryRows(this.dataSource, `SELECT 1 FROM renditions WHERE object_key = $1`, [objectKey]);
    return found.length > 0;
  }

  /** Rendition objects in key order after `after`, `limit` at a time (verification walks them all). */
  recordedObjectsAfter(after: string, limit: number): Promise<Array<{ objectKey: string; size: number }>> {
    return queryRows(
      this.dataSource,
      `SELECT object_key AS "objectKey", size FROM renditions WHERE object_key > $1 ORDER BY object_key LIMIT $2`,
      [after, limit],
    );
  }

  /** Every object key a rendition row records. */
  async recordedKeys(): Promise<string[]> {
    const found = await queryRows<{ objectKey: string }>(
      this.dataSource,
      `SELECT object_key AS "objectKey" FROM renditions`,
    );
    return found.map((row) => row.objectKey);
  }

  /** How many jobs are in each status (the CLI's progress bar). */
  async countByStatus(): Promise<Record<RenditionStatus, number>> {
    const counts: Record<RenditionStatus, number> = { pending: 0, running: 0, ready: 0, failed: 0, unsupported: 0 };
    const rows = await queryRows<{ status: RenditionStatus; count: number }>(
      this.dataSource,
      `SELECT status, count(*)::int AS count FROM rendition_jobs GROUP BY status`,
    );
    for (const row of rows) counts[row.status] = row.count;
    return counts;
  }

  async statusFor(hashes: string[]): Promise<JobState[]> {
    if (hashes.length === 0) return [];
    return queryRows<JobState>(this.dataSource, `SELECT ${JOB_COLUMNS} FROM rendition_jobs WHERE hash = ANY($1)`, [
      hashes,
    ]);
  }

  /**
   * The jobs of `hashes` with their renditions, in one statement: the views read it for every page and every upload
   * answer, so it costs one round trip, not two. `db`: read in that transaction (an answer read under its
   * locks must not wait for a second pool connection).
   */
  async statusWithRenditions(
    hashes: string[],
    db: Executor = this.dataSource,
  ): Promise<Array<JobState & { renditions: RenditionRow[] }>> {
    if (hashes.length === 0) return [];
    return queryRows(
      db,
      `SELECT ${JOB_COLUMNS},
              (SELECT coalesce(json_agg(json_build_object('hash', r.hash, 'kind', r.kind,
                                        'generatorVersion', r.generator_version, 'objectKey', r.object_key,
                                        'contentType', r.content_type, 'width', r.width, 'height', r.height,
                                        'size', r.size)), '[]')
                 FROM renditions r WHERE r.hash = rendition_jobs.hash) AS renditions
         FROM rendition_jobs WHERE hash = ANY($1)`,
      [hashes],
    );
  }

  async renditionsOf(hashes: string[]): Promise<RenditionRow[]> {
    if (hashes.length === 0) return [];
    return queryRows<RenditionRow>(
      this.dataSource,
      `SELECT ${RENDITION_COLUMNS} FROM renditions WHERE hash = ANY($1)`,
      [hashes],
    );
  }

  async renditionsFor(hash: string, generatorVersion?: number): Promise<RenditionRow[]> {
    return queryRows<RenditionRow>(
      this.dataSource,
      `SELECT ${RENDITION_COLUMNS} FROM renditions
        WHERE hash = $1 AND ($2::integer IS NULL OR generator_version = $2)
        ORDER BY kind`,
      [hash, generatorVersion ?? null],
    );
  }
}
