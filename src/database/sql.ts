import type { DataSource, EntityManager, QueryRunner } from 'typeorm';

type Executor = Pick<DataSource | EntityManager | QueryRunner, 'query'>;

/**
 * The rows a statement returns. TypeORM's postgres driver answers `UPDATE … RETURNING` and `DELETE … RETURNING`
 * with `[rows, affectedCount]` instead of the rows; this hides that quirk so callers always get the rows.
 */
export async function queryRows<T>(executor: Executor, sql: string, parameters: unknown[] = []): Promise<T[]> {
  const result = (await executor.query(sql, parameters)) as unknown;
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return result as T[];
}
