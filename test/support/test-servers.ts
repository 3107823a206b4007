/**
 * The servers a test run shares (immich's "medium tests" shape), started once by Jest's global setup in the main
 * Jest process before any worker exists:
 *
 * 1. Unless DATABASE_URL is set, one embedded PostgreSQL in a fresh `<tmp>/mediavault-test-<random>/postgres`,
 *    with fsync, synchronous_commit and full_page_writes off (a crashed test server has nothing worth keeping).
 * 2. Unless S3_ENDPOINT is set, one embedded S3 server in `<same dir>/objects`.
 * 3. A template database `mediavault_template`, migrated once; every spec file clones it with
 *    `createTestDatabase()` (database.ts), which takes milliseconds instead of a migration run.
 *
 * The URLs go into process.env, which the workers inherit (they are forked after global setup returns).
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMigrations } from '../../src/database/migrator.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/embedded/embedded-postgres.js';
import { startEmbeddedS3, type EmbeddedS3 } from '../../src/embedded/embedded-s3.js';
import {
  ENV,
  RUN_DIRECTORY_PREFIX,
  RUN_STATE_FILE,
  TEMPLATE_DATABASE,
  TEST_DATABASE_PREFIX,
  databaseUrlFor,
  withClient,
} from './test-run.js';

export interface TestRun {
  /** Stops what the run started and removes its directory. Never throws; idempotent. */
  stop(): Promise<void>;
}

interface RunState {
  runId: string;
  directory: string;
  postgres?: EmbeddedPostgres;
  s3?: EmbeddedS3;
}

/** Starts the run's servers and prepares the template. If anything fails, what was started is stopped again. */
export async function startTestRun(): Promise<TestRun> {
  await removeAbandonedRuns().catch(() => undefined);

  const runId = randomBytes(4).toString('hex');
  const state: RunState = { runId, directory: await mkdtemp(join(tmpdir(), RUN_DIRECTORY_PREFIX)) };
  let stopping: Promise<void> | undefined;
  const run: TestRun = { stop: () => (stopping ??= stopRun(state)) };
  try {
    // mkdtemp makes it 0700; as root, PostgreSQL runs as the `postgres` user, which must be able to enter it.
    await chmod(state.directory, 0o711);
    const runFile = join(state.directory, RUN_STATE_FILE);
    await writeFile(runFile, JSON.stringify({ ownerPid: process.pid, runId }), { mode: 0o600 });

    const started = await Promise.allSettled([startDatabaseServer(state), startObjectStorage(state)]);
    const failure = started.find((result) => result.status === 'rejected');
    if (failure) throw failure.reason;

    process.env[ENV.adminDatabaseUrl] = process.env.DATABASE_URL;
    process.env[ENV.runId] = runId;
    await prepareTemplateDatabase(process.env.DATABASE_URL!);
    return run;
  } catch (error) {
    await run.stop();
    throw error;
  }
}

async function startDatabaseServer(state: RunState): Promise<void> {
  if (process.env.DATABASE_URL) return;
  state.postgres = await startEmbeddedPostgres({ dataDir: join(state.directory, 'postgres'), fsync: false });
  process.env.DATABASE_URL = state.postgres.url;
}

async function startObjectStorage(state: RunState): Promise<void> {
  if (process.env.S3_ENDPOINT) return;
  state.s3 = await startEmbeddedS3({ directory: join(state.directory, 'objects'), silent: true });
  process.env.S3_ENDPOINT = state.s3.endpoint;
  process.env.S3_ACCESS_KEY = state.s3.accessKey;
  process.env.S3_SECRET_KEY = state.s3.secretKey;
  process.env.S3_REGION = state.s3.region;
}

/**
 * (Re)creates and migrates the template, then forbids connections to it: `CREATE DATABASE ... TEMPLATE` fails
 * while anyone is connected to the template, and a connection left open by mistake would make every clone fail.
 */
async function prepareTemplateDatabase(adminUrl: string): Promise<void> {
  await withClient(adminUrl, async (client) => {
    const name = client.escapeIdentifier(TEMPLATE_DATABASE);
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [TEMPLATE_DATABASE]);
    if (existing.rowCount) {
      // Left by an earlier run against the same (external) server: its schema may be outdated.
      await client.query(`ALTER DATABASE ${name} WITH IS_TEMPLATE false ALLOW_CONNECTIONS true`);
      await client.query(`DROP DATABASE ${name} WITH (FORCE)`);
    }
    await client.query(`CREATE DATABASE ${name}`);
  });

  await runMigrations(databaseUrlFor(adminUrl, TEMPLATE_DATABASE));

  await withClient(adminUrl, async (client) => {
    const name = client.escapeIdentifier(TEMPLATE_DATABASE);
    await client.query(`ALTER DATABASE ${name} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
    const others = 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1';
    await client.query(others, [TEMPLATE_DATABASE]);
  });
}

async function stopRun(state: RunState): Promise<void> {
  if (!state.postgres) await dropLeftoverDatabases(state.runId);
  await Promise.allSettled([state.s3?.stop(), state.postgres?.stop()]);
  await rm(state.directory, { recursive: true, force: true }).catch(() => undefined);
}

/**
 * On an external server (DATABASE_URL given), drops the test databases of this run that a spec did not drop.
 * The embedded server needs none of this: it is deleted whole. Only this run's prefix is touched, so other runs
 * sharing the server keep theirs.
 */
async function dropLeftoverDatabases(runId: string): Promise<void> {
  const adminUrl = process.env[ENV.adminDatabaseUrl];
  if (!adminUrl) return;
  await withClient(adminUrl, async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
      [`${TEST_DATABASE_PREFIX}${runId}_`],
    );
    for (const { datname } of rows) {
      await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(datname)} WITH (FORCE)`);
    }
  }).catch(() => undefined);
}

/**
 * Best effort after a crash (SIGKILL, CI timeout) of an earlier run, which could not run its teardown: its
 * PostgreSQL was shut down by the embedded server's watchdog, but its directory is still there. A run directory
 * is removed only when the process that made it is gone and no server runs in it any more.
 */
async function removeAbandonedRuns(): Promise<void> {
  const entries = await readdir(tmpdir());
  for (const entry of entries.filter((name) => name.startsWith(RUN_DIRECTORY_PREFIX))) {
    const directory = join(tmpdir(), entry);
    try {
      const ownerPid = await readFile(join(directory, RUN_STATE_FILE), 'utf8')
        .then((text) => Number((JSON.parse(text) as { ownerPid?: unknown }).ownerPid))
        .catch(() => undefined);
      // Without a run file (a crash right after mkdtemp), only an hour's age tells it is abandoned.
      const abandoned =
        ownerPid !== undefined ? !(await isAlive(ownerPid)) : Date.now() - (await stat(directory)).mtimeMs > 3_600_000;
      if (!abandoned) continue;
      const postmasterPid = await readFile(join(directory, 'postgres', 'postmaster.pid'), 'utf8')
        .then((text) => Number.parseInt(text, 10))
        .catch(() => undefined);
      if (postmasterPid !== undefined && (await isAlive(postmasterPid))) continue; // Its watchdog is on it; next time.
      await rm(directory, { recursive: true, force: true });
    } catch {
      // Being removed concurrently, or not ours to remove.
    }
  }
}

async function isAlive(pid: number): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // A zombie (exited, not yet reaped by its new parent) answers kill(0) but is gone for our purposes.
  const status = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return !/^\d+ \(.*\) Z/.test(status);
}
