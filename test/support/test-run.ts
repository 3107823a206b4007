/**
 * What the test servers (global setup) and the specs' helpers share: the names that identify one test run's
 * databases and directories, and small connection helpers.
 */
import pg from 'pg';

/** The migrated database every test database is cloned from. */
export const TEMPLATE_DATABASE = 'mediavault_template';

/** Test databases are named `mv_t_<runId>_<random>`, so a run can drop its own leftovers on a shared server. */
export const TEST_DATABASE_PREFIX = 'mv_t_';

/** Per-run temporary directories: `<os.tmpdir()>/mediavault-test-<random>`. */
export const RUN_DIRECTORY_PREFIX = 'mediavault-test-';

/** Written into the run directory; lets a later run tell whether the run that made it is still alive. */
export const RUN_STATE_FILE = 'run.json';

/** Set by global setup next to DATABASE_URL and S3_*; the workers inherit the main process's environment. */
export const ENV = {
  /** Server used to create and drop test databases; DATABASE_URL itself may be repointed by a spec. */
  adminDatabaseUrl: 'MEDIAVAULT_TEST_ADMIN_DATABASE_URL',
  runId: 'MEDIAVAULT_TEST_RUN_ID',
} as const;

/** The URL of another database on the same server. */
export function databaseUrlFor(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/** One short-lived connection, always closed: a stray connection to the template would block every clone. */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
