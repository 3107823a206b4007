/**
 * Per-spec-file isolation on the one test server that global setup started (or was given):
 * `createTestDatabase()` clones the migrated template, which is much faster than migrating, and each spec file
 * gets a database no other spec file sees. Specs that boot the app use `useTestApp()` (test/support/app.ts), which
 * makes its database itself; a spec that needs only a database (or several apps on one) uses `useTestDatabase()`.
 */
import { randomBytes } from 'node:crypto';
import { ENV, TEMPLATE_DATABASE, TEST_DATABASE_PREFIX, databaseUrlFor, withClient } from './test-run.js';

export interface TestDatabase {
  /** Connection URL of the new database (same server and credentials as DATABASE_URL). */
  url: string;
  /** Ends every connection to the database and drops it. */
  drop(): Promise<void>;
}

export interface TestDatabaseOptions {
  /**
   * A database with nothing in it, not even the migrations: the state a first deployment starts from (for the
   * specs of migrations and start-up). Named with the run's prefix like the others, so a crashed run's are dropped.
   */
  empty?: boolean;
}

export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const adminUrl = adminDatabaseUrl();
  const runId = process.env[ENV.runId] ?? 'norun';
  const name = `${TEST_DATABASE_PREFIX}${runId}_${randomBytes(6).toString('hex')}`;

  await withClient(adminUrl, async (client) => {
    const template = options.empty ? '' : ` TEMPLATE ${client.escapeIdentifier(TEMPLATE_DATABASE)}`;
    const statement = `CREATE DATABASE ${client.escapeIdentifier(name)}${template}`;
    // Cloning fails while anyone is connected to the template. Global setup forbids connections to it, so this
    // only covers a session still on its way out; retry briefly rather than fail the spec.
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(statement);
        return;
      } catch (error) {
        const beingAccessed = (error as { code?: string }).code === '55006';
        if (!beingAccessed || attempt >= 25) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  });

  return {
    url: databaseUrlFor(adminUrl, name),
    drop: () =>
      withClient(adminUrl, async (client) => {
        await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
      }),
  };
}

export interface UsedTestDatabase {
  /** Connection URL of the spec's database: readable from the spec's own `beforeAll` hooks on. */
  readonly url: string;
  /** Registers something connected to the database (an app) to close before the database is dropped. */
  closeBeforeDrop(close: () => Promise<void>): void;
}

/**
 * Registers `beforeAll`/`afterAll` hooks in the calling `describe` (or file): a fresh database before, dropped after,
 * once whatever was registered with `closeBeforeDrop` has been closed (last registered first).
 */
export function useTestDatabase(options: TestDatabaseOptions = {}): UsedTestDatabase {
  let database: TestDatabase | undefined;
  const closers: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    database = await createTestDatabase(options);
  });
  afterAll(async () => {
    try {
      for (const close of [...closers].reverse()) await close();
    } finally {
      await database?.drop();
      database = undefined;
    }
  });
  return {
    get url() {
      if (!database) throw new Error('useTestDatabase: the database exists from beforeAll until afterAll');
      return database.url;
    },
    closeBeforeDrop: (close) => {
      closers.push(close);
    },
  };
}

/** A fresh bucket name for one spec file: valid for S3 (3-63 chars, lowercase letters, digits, hyphens). */
export function testBucketName(): string {
  return `mv-test-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

function adminDatabaseUrl(): string {
  const url = process.env[ENV.adminDatabaseUrl] ?? process.env.DATABASE_URL;
  if (!url) {
    throw new Error('No test database server: run the specs through Jest with test/support/global-setup.ts');
  }
  return url;
}
