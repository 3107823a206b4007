import type { DataSource, EntityManager, QueryRunner } from 'typeorm';

/** Where a statement runs: a transaction's QueryRunner (or EntityManager), or the pool for a lone read. */
export type Executor = Pick<DataSource | EntityManager | QueryRunner, 'query'>;

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

/** Positional parameters for hand-written SQL: `params.add(value)` answers `$n`. */
export class SqlParams {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /**
   * `readableCondition` speaks TypeORM's `:name` parameters; rewrite them as positional ones. A `::type` cast and
   * anything inside a quoted literal or identifier (`'12:30'`) are left alone; a name used twice binds one value.
   */
  named(condition: { sql: string; params: Record<string, unknown> }): string {
    const positions = new Map<string, string>();
    return condition.sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|::|:(\w+)/g, (match, name: string | undefined) => {
      if (name === undefined) return match;
      if (!Object.hasOwn(condition.params, name)) throw new Error(`SQL parameter :${name} has no value`);
      let position = positions.get(name);
      if (position === undefined) {
        position = this.add(condition.params[name]);
        positions.set(name, position);
      }
      return position;
    });
  }
}
