import { queryRows, type Executor } from './sql.js';

/*
 * Object keys "accounted for": recorded by a row (a content's object, a rendition's), claimed while being written
 * (`upload_sessions`), or named by a queued deletion in the outbox (`storage_deletions`). Uploads, the rendition
 * worker and both orphan sweeps ask the same questions of the same tables; the statements live here, in neither
 * module (the renditions module imports nothing from the file manager at runtime).
 */

/**
 * Why an object's delete was queued (the outbox's `reason`, for operators). The `rendition-*` reasons are written by
 * the renditions module: freed with their content (by the `stored_objects` trigger), replaced by a newer generator
 * version, or discarded (rendered for content freed meanwhile, or by a worker whose lease was taken over).
 */
export type DeletionReason =
  | 'content-released'
  | 'duplicate-upload'
  | 'failed-upload'
  | 'orphan'
  | 'rendition-released'
  | 'rendition-replaced'
  | 'rendition-discarded';

/** Writes object deletes into the outbox, in the caller's transaction; carried out after commit. */
export async function queueObjectDeletions(db: Executor, keys: string[], reason: DeletionReason): Promise<void> {
  if (keys.length === 0) return;
  await db.query(`INSERT INTO storage_deletions (object_key, reason) SELECT unnest($1::varchar[]), $2`, [keys, reason]);
}

/**
 * The claim on a key FOR UPDATE (waiting for a writer recording it right now), and whether it was touched within
 * `timeoutSeconds`; undefined when there is no claim.
 */
export async function lockObjectClaim(
  db: Executor,
  key: string,
  timeoutSeconds: number,
): Promise<{ live: boolean } | undefined> {
  const [claim] = await queryRows<{ live: boolean }>(
    db,
    `SELECT touched_at > now() - make_interval(secs => $2) AS live
       FROM upload_sessions WHERE object_key = $1 FOR UPDATE`,
    [key, timeoutSeconds],
  );
  return claim;
}

/** A table whose rows record object keys (`object_key`): the contents' and the renditions'. */
export type ObjectKeyTable = 'stored_objects' | 'renditions';

/**
 * Of `keys`, those no row of `table` records and no queued deletion names: candidates for an orphan sweep (read
 * without locks; each is checked again under its claim's lock with `isKeyAccountedFor`).
 */
export async function unaccountedKeys(db: Executor, table: ObjectKeyTable, keys: string[]): Promise<string[]> {
  if (keys.length === 0) return [];
  const found = await queryRows<{ k: string }>(
    db,
    `SELECT k FROM unnest($1::varchar[]) AS k
      WHERE NOT EXISTS (SELECT 1 FROM ${table} t WHERE t.object_key = k)
        AND NOT EXISTS (SELECT 1 FROM storage_deletions d WHERE d.object_key = k)`,
    [keys],
  );
  return found.map((row) => row.k);
}

/** Whether a row of `table` records the key or a queued deletion names it, in the caller's snapshot. */
export async function isKeyAccountedFor(db: Executor, table: ObjectKeyTable, key: string): Promise<boolean> {
  const [{ referenced }] = await queryRows<{ referenced: boolean }>(
    db,
    `SELECT EXISTS (SELECT 1 FROM ${table} WHERE object_key = $1)
         OR EXISTS (SELECT 1 FROM storage_deletions WHERE object_key = $1) AS referenced`,
    [key],
  );
  return referenced;
}
