import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DataSource, type MigrationInterface } from 'typeorm';
import { AdvisoryLock } from './locks.js';
import { withAdvisoryLock } from './transactions.js';

type MigrationClass = new () => MigrationInterface;

/**
 * Where the migrations live: `migrations/*.ts` next to `src/` when running from sources (tests), and
 * `dist/migrations/*.js` when running the build. Both `src/database` and `dist/database` sit two levels deep.
 */
function migrationsDirectory(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const runningFromSources = import.meta.url.endsWith('.ts');
  return runningFromSources ? join(here, '..', '..', 'migrations') : join(here, '..', 'migrations');
}

/**
 * Loads the migration classes ourselves instead of giving TypeORM a glob: TypeORM would `import()` the files
 * from its own (untransformed) code, which cannot load TypeScript under Jest.
 */
export async function loadMigrations(): Promise<MigrationClass[]> {
  const directory = migrationsDirectory();
  const files = (await readdir(directory))
    .filter((file) => /^\d+-.+\.(js|ts)$/.test(file) && !file.endsWith('.d.ts'))
    .sort();
  const modules = await Promise.all(files.map((file) => import(pathToFileURL(join(directory, file)).href)));
  return modules.flatMap((module: Record<string, unknown>) =>
    Object.values(module).filter((value): value is MigrationClass => typeof value === 'function'),
  );
}

/**
 * Applies pending migrations under the migrations advisory lock, so several instances starting at the same
 * moment apply each migration once: the first takes the lock and migrates, the others wait and find nothing left.
 */
export async function runMigrationsUnderLock(dataSource: DataSource): Promise<string[]> {
  return withAdvisoryLock(dataSource, AdvisoryLock.Migrations, async () => {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  });
}

/** Connects to `databaseUrl`, applies pending migrations under the lock, disconnects. */
export async function runMigrations(databaseUrl: string): Promise<string[]> {
  const dataSource = new DataSource({
    type: 'postgres',
    url: databaseUrl,
    migrations: await loadMigrations(),
    migrationsTableName: 'migrations',
    logging: false,
  });
  await dataSource.initialize();
  try {
    return await runMigrationsUnderLock(dataSource);
  } finally {
    await dataSource.destroy();
  }
}
