import { queryRows, type Executor } from './sql.js';

/*
 * Object keys "accounted for": recorded by a row (a content's object, a rendition's) or named by a queued deletion
 * in the outbox (`storage_deletions`). The content and the rendition orphan sweeps ask the same two questions.
 */

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
