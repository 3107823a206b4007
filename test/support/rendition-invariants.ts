/**
 * I6, the renditions invariant, checked against the real database and bucket:
 *
 * - every rendition row belongs to stored content (the foreign key makes this structural) and its object exists
 *   and is not queued for deletion;
 * - every object under `renditions/` is recorded by a rendition row, or (while work is in flight) claimed by a
 *   worker or queued for deletion; once `quiescent`, only recorded objects remain and no claim is left;
 * - once `drained` (no due job left), every stored content has a job at the current generator version that is
 *   ready, failed with a reason, or unsupported, and every ready image, video or PDF has both renditions.
 *
 * Part of `checkInvariants` (test/support/invariants.ts), which every workload, race and crash spec and the soak run.
 */
import type { DataSource } from 'typeorm';
import { GENERATOR_VERSION, RENDITION_KEY_PREFIX } from '../../src/renditions/renditions.constants.js';
import type { ObjectStorage } from '../../src/storage/object-storage.js';

export interface RenditionInvariantOptions {
  /** A DataSource, or anything that queries like one (`checkInvariants` passes its consistent snapshot). */
  dataSource: Pick<DataSource, 'query'>;
  storage: ObjectStorage;
  /** No worker or deletion in flight (after the deletion outbox was drained): claims and queued deletes fail I6. */
  quiescent?: boolean;
  /** The queue has drained: every stored content must have a finished job. */
  drained?: boolean;
}

export async function checkRenditionInvariants(options: RenditionInvariantOptions): Promise<string[]> {
  const { dataSource, storage } = options;
  const violations: string[] = [];
  const renditions = await dataSource.query<Array<{ hash: string; kind: string; objectKey: string; stored: boolean }>>(
    `SELECT r.hash, r.kind, r.object_key AS "objectKey",
            EXISTS (SELECT 1 FROM stored_objects s WHERE s.hash = r.hash) AS stored
       FROM renditions r`,
  );
  const claims = new Set(
    (await dataSource.query<Array<{ key: string }>>(`SELECT object_key AS key FROM upload_sessions`)).map((r) => r.key),
  );
  const queued = new Set(
    (await dataSource.query<Array<{ key: string }>>(`SELECT object_key AS key FROM storage_deletions`)).map(
      (r) => r.key,
    ),
  );
  const inBucket = new Set<string>();
  for await (const object of storage.list(RENDITION_KEY_PREFIX)) inBucket.add(object.key);

  const recorded = new Set<string>();
  for (const rendition of renditions) {
    recorded.add(rendition.objectKey);
    const what = `${rendition.kind} of ${rendition.hash} (${rendition.objectKey})`;
    if (!rendition.stored) violations.push(`I6: ${what} outlives its content`);
    if (!inBucket.has(rendition.objectKey)) violations.push(`I6: ${what} has no object`);
    if (queued.has(rendition.objectKey)) violations.push(`I6: ${what} is queued for deletion`);
  }
  for (const key of inBucket) {
    if (recorded.has(key)) continue;
    if (options.quiescent || !(claims.has(key) || queued.has(key))) {
      violations.push(`I6: object ${key} belongs to no rendition`);
    }
  }
  if (options.quiescent) {
    for (const key of claims) if (key.startsWith(RENDITION_KEY_PREFIX)) violations.push(`I6: claim on ${key} left`);
  }

  if (options.drained) {
    const contents = await dataSource.query<
      Array<{
        hash: string;
        status: string | null;
        version: number | null;
        reason: string | null;
        kinds: number;
        type: string | null;
      }>
    >(
      `SELECT s.hash, j.status, j.generator_version AS version, j.failure_reason AS reason,
              j.content_type AS type, (SELECT count(*)::int FROM renditions r WHERE r.hash = s.hash) AS kinds
         FROM stored_objects s LEFT JOIN rendition_jobs j ON j.hash = s.hash`,
    );
    for (const content of contents) {
      if (content.status === null) violations.push(`I6: content ${content.hash} was never queued`);
      else if ((content.version ?? 0) < GENERATOR_VERSION)
        violations.push(`I6: content ${content.hash} has an old job`);
      else if (!['ready', 'failed', 'unsupported'].includes(content.status)) {
        violations.push(`I6: content ${content.hash} is still ${content.status}`);
      } else if (content.status === 'failed' && !content.reason) {
        violations.push(`I6: content ${content.hash} failed without a reason`);
      } else if (content.status === 'ready' && /^(image|video)\/|^application\/pdf$/.test(content.type ?? '')) {
        if (content.kinds !== 2)
          violations.push(`I6: content ${content.hash} is ready with ${content.kinds} rendition(s)`);
      }
    }
  }
  return violations;
}
