/**
 * Schema migrations on demand (the server also applies them at start-up):
 *
 *   node dist/database/migration-cli.js run              apply pending migrations (npm run migration:run)
 *   node dist/database/migration-cli.js revert           undo the last applied one (npm run migration:revert)
 *   node dist/database/migration-cli.js generate <Name>  write migrations/<timestamp>-<Name>.ts from the
 *                                                        difference between the entities and the schema
 *
 * The database is resolved exactly as the server does it (DATABASE_URL, `.env`, or the embedded PostgreSQL under
 * DATA_DIR when DATABASE_URL is unset); storage is never started. `run` and `revert` hold the migrations advisory
 * lock, so they are safe while other instances start up.
 *
 * `generate` is a starting point to review, never a migration to commit as it is: the schema has things the
 * entities do not describe (unique indexes on expressions such as `lower(email)`, partial indexes, check
 * constraints, triggers), and TypeORM proposes to drop or recreate them. Keep the statements that express the
 * entity change you made, delete the rest, and write `down` so it really undoes `up`.
 */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataSource } from 'typeorm';
import { InvalidConfigurationError } from '../config/environment.js';
import { prepareRuntime } from '../runtime/runtime.js';
import { buildDataSourceOptions } from './data-source-options.js';
import { AdvisoryLock } from './locks.js';
import { loadMigrations, runMigrations } from './migrator.js';
import { withAdvisoryLock } from './transactions.js';

const USAGE = 'usage: node dist/database/migration-cli.js run | revert | generate <Name>';
const MIGRATION_NAME = /^[A-Z][A-Za-z0-9]{0,99}$/;

const logger = new Logger('Migrations');

class UsageError extends Error {}

async function main(args: string[]): Promise<void> {
  const [command, name, ...rest] = args;
  if (rest.length > 0 || !['run', 'revert', 'generate'].includes(command ?? '')) throw new UsageError(USAGE);
  if (command === 'generate' && !MIGRATION_NAME.test(name ?? '')) {
    throw new UsageError(`generate needs a PascalCase name, e.g. "AddTagColor"\n${USAGE}`);
  }
  if (command !== 'generate' && name !== undefined) throw new UsageError(USAGE);

  const runtime = await prepareRuntime(process.env, { storage: false, attach: true });
  try {
    const url = runtime.environment.DATABASE_URL!;
    if (command === 'run') await run(url);
    else if (command === 'revert') await revert(url);
    else await generate(url, name); // validated above
  } finally {
    await runtime.stop();
  }
}

async function run(url: string): Promise<void> {
  const applied = await runMigrations(url);
  logger.log(applied.length ? `Applied ${applied.join(', ')}` : 'Schema is up to date, nothing to apply');
}

async function revert(url: string): Promise<void> {
  await withDataSource(url, (dataSource) =>
    withAdvisoryLock(dataSource, AdvisoryLock.Migrations, async () => {
      const last = await lastAppliedMigration(dataSource);
      if (!last) {
        logger.log('No migration has been applied, nothing to revert');
        return;
      }
      await dataSource.undoLastMigration({ transaction: 'each' });
      logger.log(`Reverted ${last}`);
    }),
  );
}

async function generate(url: string, name: string): Promise<void> {
  await withDataSource(url, async (dataSource) => {
    // Against a schema that lacks pending migrations, the diff would re-propose what they already do.
    if (await dataSource.showMigrations()) {
      throw new Error('Some migrations are not applied yet: run `npm run migration:run` first, then generate');
    }
    const { upQueries, downQueries } = await dataSource.driver.createSchemaBuilder().log();
    const drops = upQueries.filter(({ query }) => /\bDROP\b/i.test(query)).length;
    if (upQueries.length === 0) {
      logger.log('The entities match the schema: no migration generated');
      return;
    }
    const timestamp = Date.now();
    const file = join(migrationsDirectory(), `${timestamp}-${name}.ts`);
    await writeFile(file, migrationSource(`${name}${timestamp}`, upQueries, [...downQueries].reverse()), {
      flag: 'wx',
    });
    logger.log(`Wrote ${relative(process.cwd(), file)} (${upQueries.length} statements): review it before committing`);
    logger.warn(
      `${drops} of the statements drop something. The entities do not describe every part of the schema ` +
        '(expression and partial indexes, checks, constraint names, triggers): delete what you did not mean',
    );
  });
}

async function withDataSource<T>(url: string, work: (dataSource: DataSource) => Promise<T>): Promise<T> {
  const dataSource = new DataSource({ ...buildDataSourceOptions(url), migrations: await loadMigrations() });
  await dataSource.initialize();
  try {
    return await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

async function lastAppliedMigration(dataSource: DataSource): Promise<string | undefined> {
  const [table] = await dataSource.query<Array<{ present: boolean }>>(
    `SELECT to_regclass('migrations') IS NOT NULL AS present`,
  );
  if (!table.present) return undefined;
  const [last] = await dataSource.query<Array<{ name: string }>>(
    'SELECT name FROM migrations ORDER BY "timestamp" DESC, id DESC LIMIT 1',
  );
  return last?.name;
}

/** `migrations/` at the project root: two levels above both `src/database` and `dist/database`. */
function migrationsDirectory(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');
}

interface SqlStatement {
  query: string;
  parameters?: unknown[];
}

function migrationSource(className: string, up: SqlStatement[], down: SqlStatement[]): string {
  const statements = (queries: SqlStatement[], flagDrops: boolean) =>
    queries.map((query) => statementLines(query, flagDrops)).join('\n');
  return `import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Generated by \`npm run migration:generate\` from the difference between the entities and the schema.
 * TODO before committing: keep only the statements for the change you made (the entities do not describe
 * expression or partial indexes, checks or triggers, which the generator proposes to drop), check that \`down\`
 * undoes \`up\`, and replace this comment by one saying why the change is needed.
 */
export class ${className} implements MigrationInterface {
  name = '${className}';

  async up(queryRunner: QueryRunner): Promise<void> {
${statements(up, true)}
  }

  async down(queryRunner: QueryRunner): Promise<void> {
${statements(down, false)}
  }
}
`;
}

/** One statement; in `up`, one that drops something is flagged, because most of those are the generator's noise. */
function statementLines({ query, parameters }: SqlStatement, flagDrops: boolean): string {
  const sql = query.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
  const call = parameters?.length
    ? `await queryRunner.query(\`${sql}\`, ${JSON.stringify(parameters)});`
    : `await queryRunner.query(\`${sql}\`);`;
  const flag =
    flagDrops && /\bDROP\b/i.test(query)
      ? '    // REVIEW: drops something; keep only if your change really removes it\n'
      : '';
  return `${flag}    ${call}`;
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof UsageError || error instanceof InvalidConfigurationError) console.error(error.message);
    else logger.error(error instanceof Error ? error.message : String(error));
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
