import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/embedded/embedded-postgres.js';
import { createTestDatabase, testBucketName } from '../support/database.js';

async function query<T extends pg.QueryResultRow = pg.QueryResultRow>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function postmasterPid(dataDir: string): Promise<number> {
  return Number.parseInt(await readFile(join(dataDir, 'postmaster.pid'), 'utf8'), 10);
}

async function waitForExit(pid: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`process ${pid} did not exit`);
}

/** The pid of a process that has come and gone. */
async function deadPid(): Promise<number> {
  const child = spawn('true');
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('startEmbeddedPostgres', () => {
  let baseDir: string;
  const started: EmbeddedPostgres[] = [];

  async function start(dataDir: string, fsync = false): Promise<EmbeddedPostgres> {
    const server = await startEmbeddedPostgres({ dataDir, fsync });
    started.push(server);
    return server;
  }

  beforeAll(async () => {
    baseDir = await mkdtemp(join(tmpdir(), 'mediavault-embedded-pg-spec-'));
    await chmod(baseDir, 0o711); // As root the server runs as `postgres`, which must be able to enter it.
  });

  afterAll(async () => {
    await Promise.allSettled(started.map((server) => server.stop()));
    await rm(baseDir, { recursive: true, force: true });
  });

  it('initialises, serves the requested database on loopback, and stops', async () => {
    const dataDir = join(baseDir, 'fresh');
    const server = await start(dataDir);

    expect(server.url).toMatch(new RegExp(`^postgres://postgres:[^@]+@127\\.0\\.0\\.1:${server.port}/mediavault$`));
    const [settings] = await query<Record<string, string>>(
      server.url,
      `SELECT current_database() AS database, current_setting('listen_addresses') AS listen,
              current_setting('unix_socket_directories') AS sockets, current_setting('fsync') AS fsync,
              current_setting('synchronous_commit') AS synchronous_commit,
              current_setting('server_version_num') AS version`,
    );
    expect(settings).toMatchObject({ database: 'mediavault', listen: '127.0.0.1', sockets: '', fsync: 'off' });
    expect(settings.synchronous_commit).toBe('off');
    expect(Number(settings.version)).toBeGreaterThanOrEqual(180000);

    const pid = await postmasterPid(dataDir);
    await server.stop();
    await server.stop(); // idempotent
    await waitForExit(pid);
    expect(await canConnect(server.url)).toBe(false);
  });

  it('keeps data and credentials across restarts on the same directory', async () => {
    const dataDir = join(baseDir, 'persistent');
    const first = await start(dataDir);
    await query(first.url, 'CREATE TABLE kept (value text)');
    await query(first.url, "INSERT INTO kept VALUES ('still here')");
    await first.stop();

    const second = await start(dataDir);
    expect(await query(second.url, 'SELECT value FROM kept')).toEqual([{ value: 'still here' }]);
    // Same generated password; only the port may differ.
    expect(second.url.replace(/:\d+\//, ':PORT/')).toBe(first.url.replace(/:\d+\//, ':PORT/'));
    await second.stop();
  });

  it('starts after a crash that left postmaster.pid behind', async () => {
    const dataDir = join(baseDir, 'crashed');
    // Durable settings: with synchronous_commit off (the tests' setting) a crash may lose the last commits.
    const first = await start(dataDir, true);
    await query(first.url, 'CREATE TABLE survived (id int)');
    await query(first.url, 'INSERT INTO survived VALUES (1)');

    const pid = await postmasterPid(dataDir);
    process.kill(pid, 'SIGKILL');
    await waitForExit(pid);
    await first.stop(); // nothing left to stop; must not hang or throw

    const second = await start(dataDir, true);
    expect(await query(second.url, 'SELECT id FROM survived')).toEqual([{ id: 1 }]);
    await second.stop();
  });

  it('ignores a postmaster.pid naming a dead process or a live process that is not PostgreSQL', async () => {
    const dataDir = join(baseDir, 'stale-pid');
    const server = await start(dataDir);
    await server.stop();

    const pidFile = join(dataDir, 'postmaster.pid');
    for (const pid of [await deadPid(), process.pid]) {
      await writeFile(pidFile, `${pid}\n${dataDir}\n1700000000\n5432\n\n127.0.0.1\n  1234   5678\nready   \n`);
      const restarted = await start(dataDir);
      expect(await query(restarted.url, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
      await restarted.stop();
    }
  });

  it('refuses a second server on a directory that is in use', async () => {
    const dataDir = join(baseDir, 'busy');
    const server = await start(dataDir);
    await expect(startEmbeddedPostgres({ dataDir, fsync: false })).rejects.toThrow(/already running/);
    expect(await query(server.url, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    await server.stop();
  }, 20_000);
});

describe('test harness', () => {
  it('gives each createTestDatabase() call its own migrated database', async () => {
    const [one, two] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    try {
      expect(one.url).not.toBe(two.url);
      // Cloned from the migrated template.
      const migrations = await query<{ count: string }>(one.url, 'SELECT count(*)::text AS count FROM migrations');
      expect(Number(migrations[0].count)).toBeGreaterThan(0);

      await query(one.url, 'CREATE TABLE only_in_one (id int)');
      const lookup = "SELECT to_regclass('public.only_in_one') IS NOT NULL AS present";
      expect(await query(one.url, lookup)).toEqual([{ present: true }]);
      expect(await query(two.url, lookup)).toEqual([{ present: false }]);
    } finally {
      await Promise.all([one.drop(), two.drop()]);
    }
    expect(await canConnect(one.url)).toBe(false);
  });

  it('drops a database that still has open connections', async () => {
    const database = await createTestDatabase();
    const client = new pg.Client({ connectionString: database.url });
    client.on('error', () => undefined); // It is about to be terminated.
    await client.connect();
    await database.drop();
    expect(await canConnect(database.url)).toBe(false);
    await client.end().catch(() => undefined);
  });

  it('hands out distinct, valid bucket names', () => {
    const names = [testBucketName(), testBucketName()];
    expect(names[0]).not.toBe(names[1]);
    for (const name of names) expect(name).toMatch(/^[a-z][a-z0-9-]{1,61}[a-z0-9]$/);
  });

  it('runs in a worker that inherited the URLs from global setup', () => {
    expect(process.env.DATABASE_URL).toMatch(/^postgres:\/\//);
    expect(process.env.S3_ENDPOINT).toMatch(/^https?:\/\//);
  });
});
