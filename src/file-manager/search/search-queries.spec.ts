/**
 * Query snapshots (after Immich's `@GenerateSql`): the SQL the planner writes for each kind of search
 * (`search-cases.ts`) is kept in `queries/<case>.sql`, reviewed like code. This spec fails when the planner's SQL
 * changes and the snapshot was not rewritten with it. To rewrite them deliberately, then review the diff:
 *
 *   UPDATE_QUERY_SNAPSHOTS=1 npm test -- src/file-manager/search/search-queries.spec.ts
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SEARCH_CASES, type SearchCase } from './search-cases.js';
import { planSearch } from './search-planner.js';

const QUERIES = join(dirname(fileURLToPath(import.meta.url)), 'queries');
const UPDATE = process.env.UPDATE_QUERY_SNAPSHOTS === '1';

/** The case's statements as reviewed text: each with its parameters; blank lines and trailing spaces dropped. */
function snapshot(searchCase: SearchCase): string {
  const plan = planSearch(searchCase.query, searchCase.words, searchCase.user, searchCase.expansions);
  const tidy = (sql: string) =>
    sql
      .split('\n')
      .map((line) => line.trimEnd())
      .filter((line) => line.trim() !== '')
      .join('\n');
  const parameters = (values: unknown[]) => `-- parameters: ${JSON.stringify(values)}`;
  // A terms page reads a prefix of its match stream; reading the whole stream only drops the LIMIT.
  const page = plan.kind === 'terms' ? tidy(plan.pageSql(plan.wanted * 2 + 20)) : tidy(plan.pageSql);
  return [
    `-- ${searchCase.description}`,
    `-- plan: ${plan.kind}`,
    '-- page',
    page,
    `-- page order: ${plan.pageOrder}`,
    parameters(plan.params.values),
    '-- count',
    tidy(plan.count.sql),
    parameters(plan.count.values),
    '',
  ].join('\n');
}

describe('search planner SQL snapshots (src/file-manager/search/queries)', () => {
  it.each(SEARCH_CASES.map((searchCase) => [searchCase.name, searchCase] as const))('%s', (name, searchCase) => {
    const file = join(QUERIES, `${name}.sql`);
    const actual = snapshot(searchCase);
    if (UPDATE) writeFileSync(file, actual);
    expect(existsSync(file)).toBe(true);
    expect(actual).toBe(readFileSync(file, 'utf8'));
  });

  it('has a snapshot for every case and no other', () => {
    const files = readdirSync(QUERIES)
      .filter((file) => file.endsWith('.sql'))
      .sort();
    expect(files).toEqual(SEARCH_CASES.map((searchCase) => `${searchCase.name}.sql`).sort());
  });
});
