import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { isUniqueViolation } from '../../common/errors/database-errors.js';
import { queryRows, SqlParams } from '../../database/sql.js';

/** Where a statement runs: a transaction's QueryRunner (or EntityManager), or the pool for a lone read. */
export type Db = Pick<DataSource | EntityManager | QueryRunner, 'query'>;

/** The typed rows of one statement (the single place the driver's untyped answer is given a type). */
export function rows<T>(db: Db, sql: string, parameters: unknown[] = []): Promise<T[]> {
  return queryRows<T>(db, sql, parameters);
}

/** The first row of a statement, if any. */
export async function firstRow<T>(db: Db, sql: string, parameters: unknown[] = []): Promise<T | undefined> {
  const [row] = await queryRows<T>(db, sql, parameters);
  return row;
}

/**
 * The SET list of a partial update: `updated_at = now()` and one `column = $n` per defined value (undefined means
 * "leave as is"; null is a value).
 */
function setClause(params: SqlParams, columns: Record<string, unknown>): string {
  const sets = ['updated_at = now()'];
  for (const [column, value] of Object.entries(columns)) {
    if (value !== undefined) sets.push(`${column} = ${params.add(value)}`);
  }
  return sets.join(', ');
}

/**
 * Updates the given columns of one row (`setClause`), in the caller's transaction; answers the `returning` columns
 * of the row when asked for (undefined when there is no such row).
 */
export async function updateById<T>(
  db: Db,
  table: 'media_files' | 'tags' | 'collections',
  id: string,
  columns: Record<string, unknown>,
  returning = 'id',
): Promise<T | undefined> {
  const params = new SqlParams();
  const idParam = params.add(id);
  return firstRow<T>(
    db,
    `UPDATE ${table} SET ${setClause(params, columns)} WHERE id = ${idParam} RETURNING ${returning}`,
    params.values,
  );
}

/** A table linking tags to their owner: a media file's or a collection's tags. */
export type TagLinks =
  { table: 'media_file_tags'; owner: 'media_file_id' } | { table: 'collection_tags'; owner: 'collection_id' };

/** The owner's tags become exactly `tagIds` (links kept stay as they are), in the caller's transaction. */
export async function replaceTagLinks(
  runner: QueryRunner,
  links: TagLinks,
  id: string,
  tagIds: string[],
): Promise<void> {
  const { table, owner } = links;
  await runner.query(`DELETE FROM ${table} WHERE ${owner} = $1 AND NOT (tag_id = ANY($2::uuid[]))`, [id, tagIds]);
  await runner.query(`INSERT INTO ${table} (${owner}, tag_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`, [
    id,
    tagIds,
  ]);
}

/** The ids of `wanted` that `found` lacks, in `wanted`'s order. */
export function missingIds(wanted: string[], found: Array<{ id: string }>): string[] {
  const present = new Set(found.map((row) => row.id));
  return wanted.filter((id) => !present.has(id));
}

/** Runs `write` and turns a violation of `constraint` into `toError()`; any other failure passes through. */
export async function onUniqueViolation<T>(
  constraint: string,
  write: () => Promise<T>,
  toError: () => Error,
): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error, constraint)) throw toError();
    throw error;
  }
}
