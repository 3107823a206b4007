/**
 * Checks the core content invariants against the real database and the real bucket:
 *
 * - I1 no loss: every record that needs content (a pending file in status `pending`, a media file active or
 *   trashed) has a `stored_objects` row whose object exists in the bucket and whose bytes hash to the record's hash
 *   (and whose key is not queued for deletion: that would be a loss waiting to happen).
 * - I2 one record per content: at most one media file (active or trashed) and at most one pending file per hash.
 * - I3 stored once: after garbage collection, one object per distinct content in the bucket.
 * - I4 no leak: after garbage collection, no content row that no record needs, no object that no content row
 *   references, an empty deletion outbox and no upload claims left (the workload is quiescent when we check).
 * - I5 search agrees with the files: the search terms index (`media_search_terms`) holds exactly the terms of the
 *   active media files' current rows, with their current access level, uploader, type and date, and the per-term
 *   counters with their pending changes (`media_search_term_counts`, `…_changes`) add up to those terms.
 *
 * - I6 renditions (test/support/rendition-invariants.ts): every rendition object belongs to stored content, none
 *   outlives it, and once the queue has drained every stored content has its renditions or a recorded outcome.
 *
 * I4 (and the "once" of I3) only make sense once the debris has been collected, so when `apps` (or `collect`) is
 * given the check first renders what is queued (`processDue` on every app at once, or `renderQueued`; retries backing
 * off are made due, as time would), then settles every instance's background deletion drain and runs the
 * `collect-garbage` job; I6 is then checked in full. Without them, only I6's structural half is checked (objects
 * in flight may be claimed or queued for deletion; contents may still wait for their renditions).
 * The apps must run with `ORPHAN_GRACE_MINUTES=0`, otherwise fresh crash debris is (rightly) kept and reported.
 * Call it only when no request is in flight: live uploads hold claims that GC must respect.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { SEARCH_INDEX_DRIFT_SQL, type SearchIndexDrift } from '../../src/file-manager/services/search-index.service.js';
import { StorageDeletionQueue } from '../../src/file-manager/services/storage-deletion-queue.service.js';
import { OBJECT_KEY_PREFIX } from '../../src/file-manager/services/upload-sessions.service.js';
import { JobAlreadyRunningException, MaintenanceJobs } from '../../src/maintenance/maintenance.jobs.js';
import { ObjectStorage } from '../../src/storage/object-storage.js';
import { ObjectNotFoundException } from '../../src/storage/storage.errors.js';
import { RenditionWorker } from '../../src/renditions/rendition-worker.service.js';
import { RENDITION_KEY_PREFIX } from '../../src/renditions/renditions.constants.js';
import { checkRenditionInvariants } from './rendition-invariants.js';

export type InvariantName = 'I1' | 'I2' | 'I3' | 'I4' | 'I5' | 'I6';

export interface Violation {
  invariant: InvariantName;
  message: string;
  hash?: string;
  objectKey?: string;
}

/** What `checkInvariants` needs from an application instance (a `TestApp` or a Nest application). */
export interface AppInstance {
  get<T>(token: abstract new (...args: never[]) => T): T;
}

export interface InvariantCheckOptions {
  /** Where to read the records: a DataSource (e.g. `app.get(DataSource)`) or a connection URL. */
  dataSource?: DataSource;
  databaseUrl?: string;
  /** The application's storage port (`app.get(ObjectStorage)`), bound to the bucket under test. */
  storage: ObjectStorage;
  /** The bucket's name, only to make messages self-explanatory. */
  bucket?: string;
  /**
   * Instances sharing the database and bucket: their deletion drains are awaited and `collect-garbage` runs (on the
   * first) before the I3/I4 checks. Omit both this and `collect` to check only what must hold at any quiet moment
   * (I1, I2 and the database side of I3).
   */
  apps?: AppInstance[];
  /** Alternative to `apps`: runs garbage collection to completion (e.g. through the admin endpoint). */
  collect?: () => Promise<void>;
  /**
   * With `collect`: renders every due rendition job (e.g. the `generate-renditions` job through the admin endpoint),
   * so that I6 can require every content's renditions. Without it (and without `apps`), I6 does not require them.
   */
  renderQueued?: () => Promise<unknown>;
}

type Query = <T>(sql: string, params?: unknown[]) => Promise<T[]>;

interface Snapshot {
  mediaFiles: Array<{ id: string; hash: string; deletedAt: Date | null }>;
  pendingFiles: Array<{ id: string; hash: string; status: string }>;
  storedObjects: Array<{ hash: string; objectKey: string; size: string }>;
  deletions: Array<{ objectKey: string; attempts: number; lastError: string | null }>;
  uploadSessions: Array<{ objectKey: string }>;
}

export async function checkInvariants(options: InvariantCheckOptions): Promise<Violation[]> {
  const collected = Boolean(options.apps?.length || options.collect);
  const apps = options.apps ?? [];
  // Every instance's worker at once: they share the queue, as instances rendering side by side do.
  const renderQueued =
    options.renderQueued ??
    (apps.length ? () => Promise.all(apps.map((app) => app.get(RenditionWorker).processDue())) : undefined);
  const drained = Boolean(collected && renderQueued);
  if (collected && renderQueued) await drainRenditionQueue(options, renderQueued);
  if (options.collect) await options.collect();
  else if (options.apps?.length) await collectGarbage(options.apps);

  return withQuery(options, async (query) => {
    const violations: Violation[] = [];
    const where = options.bucket ? ` in bucket ${options.bucket}` : '';
    const db = await readSnapshot(query);
    const objectHashes = new Map<string, string | null>();
    const hashOf = async (key: string) => {
      if (!objectHashes.has(key)) objectHashes.set(key, await hashObject(options.storage, key));
      return objectHashes.get(key) ?? null;
    };

    // I2: one record per content (the unique constraints should make these impossible; checked all the same).
    for (const [table, rows] of [
      ['media_files', db.mediaFiles],
      ['pending_files', db.pendingFiles],
    ] as const) {
      for (const [hash, count] of countBy(rows.map((row) => row.hash))) {
        if (count > 1) violations.push({ invariant: 'I2', hash, message: `${count} ${table} rows share hash ${hash}` });
      }
    }

    // I1: every needed hash is stored, present, intact, and not about to be deleted.
    const needed = new Set([
      ...db.mediaFiles.map((file) => file.hash),
      ...db.pendingFiles.filter((file) => file.status === 'pending').map((file) => file.hash),
    ]);
    const contentByHash = new Map(db.storedObjects.map((row) => [row.hash, row]));
    const queuedKeys = new Set(db.deletions.map((row) => row.objectKey));
    for (const hash of needed) {
      const content = contentByHash.get(hash);
      const who = describeNeeders(db, hash);
      if (!content) {
        violations.push({ invariant: 'I1', hash, message: `${who} needs ${hash} but no stored_objects row exists` });
        continue;
      }
      const actual = await hashOf(content.objectKey);
      if (actual === null) {
        violations.push({
          invariant: 'I1',
          hash,
          objectKey: content.objectKey,
          message: `${who} needs ${hash}: object ${content.objectKey} is missing${where}`,
        });
      } else if (actual !== hash) {
        violations.push({
          invariant: 'I1',
          hash,
          objectKey: content.objectKey,
          message: `${who} needs ${hash}: object ${content.objectKey} holds bytes hashing to ${actual}`,
        });
      }
      if (queuedKeys.has(content.objectKey)) {
        violations.push({
          invariant: 'I1',
          hash,
          objectKey: content.objectKey,
          message: `${who} needs ${hash} but its object ${content.objectKey} is queued for deletion`,
        });
      }
    }

    // I3 (database side, holds at any time): one content row per hash is the primary key; one row per key too.
    for (const [objectKey, count] of countBy(db.storedObjects.map((row) => row.objectKey))) {
      if (count > 1)
        violations.push({ invariant: 'I3', objectKey, message: `${count} content rows share object ${objectKey}` });
    }

    // I5: the search terms index against what the rows say now (both directions).
    for (const row of await query<SearchIndexDrift>(SEARCH_INDEX_DRIFT_SQL)) {
      const of = row.mediaFileId ? `of media file ${row.mediaFileId}` : `counter ${row.counter}`;
      violations.push({ invariant: 'I5', message: `${row.kind} search term ${JSON.stringify(row.term)} ${of}` });
    }

    // I6 on the same snapshot of the tables: in full once the queue was drained and GC ran, else its structural half.
    const snapshot = { query: (sql: string, params?: unknown[]) => query(sql, params) } as Pick<DataSource, 'query'>;
    for (const message of await checkRenditionInvariants({
      dataSource: snapshot,
      storage: options.storage,
      quiescent: collected,
      drained,
    })) {
      violations.push({ invariant: 'I6', message: message.replace(/^I6: /, '') });
    }

    if (!collected) return violations;

    // After GC: the bucket holds exactly the referenced objects, each content once.
    const referencedKeys = new Set(db.storedObjects.map((row) => row.objectKey));
    const keysByContent = new Map<string, string[]>();
    for await (const object of options.storage.list()) {
      if (object.key.startsWith(RENDITION_KEY_PREFIX)) continue; // I6's
      if (!object.key.startsWith(OBJECT_KEY_PREFIX)) {
        violations.push({
          invariant: 'I4',
          objectKey: object.key,
          message: `object ${object.key}${where} is outside ${OBJECT_KEY_PREFIX}: garbage collection never sees it`,
        });
        continue;
      }
      const actual = await hashOf(object.key);
      if (actual === null) continue; // Vanished while listing: nothing to leak.
      keysByContent.set(actual, [...(keysByContent.get(actual) ?? []), object.key]);
      if (!referencedKeys.has(object.key)) {
        violations.push({
          invariant: 'I4',
          hash: actual,
          objectKey: object.key,
          message: `object ${object.key} (content ${actual}) is referenced by no content row after garbage collection`,
        });
      }
    }
    for (const [hash, keys] of keysByContent) {
      if (keys.length > 1) {
        violations.push({
          invariant: 'I3',
          hash,
          message: `content ${hash} is stored ${keys.length} times: ${keys.join(', ')}`,
        });
      }
    }
    for (const row of db.storedObjects) {
      if (!needed.has(row.hash)) {
        violations.push({
          invariant: 'I4',
          hash: row.hash,
          objectKey: row.objectKey,
          message: `content ${row.hash} is stored but no record needs it after garbage collection`,
        });
      }
    }
    for (const row of db.deletions) {
      violations.push({
        invariant: 'I4',
        objectKey: row.objectKey,
        message:
          `deletion of ${row.objectKey} still queued after garbage collection ` +
          `(attempts ${row.attempts}, last error ${row.lastError ?? 'none'})`,
      });
    }
    for (const row of db.uploadSessions) {
      violations.push({
        invariant: 'I4',
        objectKey: row.objectKey,
        message: `upload claim on ${row.objectKey} left behind although no upload is running`,
      });
    }
    return violations;
  });
}

/**
 * Renders every due rendition job, then makes the retries that back off due (what time would do) and renders again,
 * until no job waits (a job failing every time is recorded `failed` after RENDITION_MAX_ATTEMPTS rounds).
 */
async function drainRenditionQueue(options: InvariantCheckOptions, renderQueued: () => Promise<unknown>) {
  for (let round = 0; round < 10; round += 1) {
    await renderQueued();
    const waiting = await withQuery(options, (query) =>
      query<{ n: number }>(`SELECT count(*)::int AS n FROM rendition_jobs WHERE status = 'pending'`),
    );
    if (waiting[0].n === 0) return;
    await withQuery(options, (query) =>
      query(`UPDATE rendition_jobs SET next_attempt_at = now() WHERE status = 'pending' AND next_attempt_at > now()`),
    );
  }
}

/** Human-readable list for assertion messages. */
export function formatViolations(violations: Violation[]): string {
  return violations.map((violation) => `${violation.invariant}: ${violation.message}`).join('\n');
}

/**
 * Settles every instance's background deletion drain, runs `collect-garbage` to completion (retrying while another
 * run holds the job's lock), and settles the drains the run itself may have started.
 */
export async function collectGarbage(apps: AppInstance[]): Promise<void> {
  const settle = () => Promise.all(apps.map((app) => app.get(StorageDeletionQueue).settled()));
  await settle();
  const jobs = apps[0].get(MaintenanceJobs);
  for (let attempt = 0; ; attempt += 1) {
    try {
      await jobs.run('collect-garbage');
      break;
    } catch (error) {
      if (!(error instanceof JobAlreadyRunningException) || attempt >= 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  await settle();
  // A drain started by GC itself may have skipped rows the job was holding (SKIP LOCKED); one more pass finishes.
  await apps[0].get(StorageDeletionQueue).processDue();
}

async function readSnapshot(query: Query): Promise<Snapshot> {
  return {
    mediaFiles: await query(`SELECT id, hash, deleted_at AS "deletedAt" FROM media_files`),
    pendingFiles: await query(`SELECT id, hash, status FROM pending_files`),
    storedObjects: await query(`SELECT hash, object_key AS "objectKey", size FROM stored_objects`),
    deletions: await query(
      `SELECT object_key AS "objectKey", attempts, last_error AS "lastError" FROM storage_deletions ORDER BY id`,
    ),
    uploadSessions: await query(`SELECT object_key AS "objectKey" FROM upload_sessions`),
  };
}

function describeNeeders(db: Snapshot, hash: string): string {
  const media = db.mediaFiles.filter((file) => file.hash === hash);
  const pending = db.pendingFiles.filter((file) => file.hash === hash && file.status === 'pending');
  return [
    ...media.map((file) => `media file ${file.id}${file.deletedAt ? ' (trashed)' : ''}`),
    ...pending.map((file) => `pending file ${file.id}`),
  ].join(' and ');
}

async function hashObject(storage: ObjectStorage, key: string): Promise<string | null> {
  try {
    const body = await storage.getStream(key);
    const hasher = createHash('sha256');
    for await (const chunk of body) hasher.update(chunk as Buffer);
    return hasher.digest('hex');
  } catch (error) {
    if (error instanceof ObjectNotFoundException) return null;
    throw error;
  }
}

function countBy(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

/** Reads through one REPEATABLE READ transaction, so the snapshot of the tables is consistent. */
async function withQuery<T>(options: InvariantCheckOptions, work: (query: Query) => Promise<T>): Promise<T> {
  if (options.dataSource) {
    const runner = options.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction('REPEATABLE READ');
      const result = await work(<R>(sql: string, params?: unknown[]) => runner.query(sql, params) as Promise<R[]>);
      await runner.commitTransaction();
      return result;
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
  }
  if (!options.databaseUrl) throw new Error('checkInvariants needs a dataSource or a databaseUrl');
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    const result = await work(
      async <R>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as R[],
    );
    await client.query('COMMIT');
    return result;
  } finally {
    await client.end();
  }
}

/**
 * Jest assertion: I1–I5 hold for the instances sharing one database and bucket (garbage collection runs first, so
 * the instances need `ORPHAN_GRACE_MINUTES=0` and no request in flight). `label` says which step of a longer test
 * broke them; `bucket` only makes the messages self-explanatory.
 */
export async function expectInvariants(
  apps: DataSourceApp | DataSourceApp[],
  options: { label?: string; bucket?: string } = {},
): Promise<void> {
  const instances = Array.isArray(apps) ? apps : [apps];
  const [first] = instances;
  const violations = await checkInvariants({
    dataSource: first.get(DataSource),
    storage: first.get(ObjectStorage),
    bucket: options.bucket,
    apps: instances,
  });
  const report = formatViolations(violations);
  expect(report && options.label ? `${options.label}: invariants violated\n${report}` : report).toBe('');
}

type DataSourceApp = AppInstance & { get(token: typeof DataSource): DataSource };
