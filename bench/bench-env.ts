/**
 * Shared set-up for benchmarks: an embedded PostgreSQL and S3 server in a temp dir (or DATABASE_URL / S3_ENDPOINT
 * when given), and a mediavault server in a child process so its memory can be measured on its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/embedded/embedded-postgres.js';
import { startEmbeddedS3 } from '../src/embedded/embedded-s3.js';
import { nodeArgsFrom, startChildApp, type ChildApp } from '../test/support/child-app.js';

export interface BenchEnvironment {
  s3: { endpoint: string; accessKey: string; secretKey: string; region: string; bucket: string };
  /** The S3 server's process when it runs in one of its own (`s3Process`). */
  s3Pid?: number;
  databaseUrl: string;
  app: ChildApp;
  /** The environment the app was started with (database, bucket, secrets), for more instances of it. */
  appEnv: Record<string, string>;
  adminToken: string;
  stop(): Promise<void>;
}

export const ADMIN = { email: 'bench-admin@localhost', password: 'bench-admin-password' };

export interface BenchOptions {
  /** Run the embedded S3 server in a child process of its own (its pid in `s3Pid`), not on the bench's thread. */
  s3Process?: boolean;
}

export async function startBenchEnvironment(
  extraEnv: Record<string, string> = {},
  options: BenchOptions = {},
): Promise<BenchEnvironment> {
  const directory = mkdtempSync(join(tmpdir(), 'mediavault-bench-'));
  // When run as root, PostgreSQL runs as the `postgres` user, which must be able to enter this directory.
  chmodSync(directory, 0o755);
  const stops: Array<() => Promise<void>> = [];
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    const postgres = await startEmbeddedPostgres({ dataDir: join(directory, 'postgres'), fsync: false });
    stops.push(() => postgres.stop());
    databaseUrl = postgres.url;
  }
  let s3 = process.env.S3_ENDPOINT
    ? {
        endpoint: process.env.S3_ENDPOINT,
        accessKey: process.env.S3_ACCESS_KEY ?? '',
        secretKey: process.env.S3_SECRET_KEY ?? '',
        region: process.env.S3_REGION ?? 'us-east-1',
      }
    : undefined;
  let s3Pid: number | undefined;
  if (!s3 && options.s3Process) {
    const child = await startS3Process(join(directory, 'objects'));
    stops.push(() => child.stop());
    s3 = child.s3;
    s3Pid = child.pid;
  } else if (!s3) {
    const embedded = await startEmbeddedS3({ directory: join(directory, 'objects') });
    stops.push(() => embedded.stop());
    s3 = embedded;
  }
  const bucket = `bench-${Date.now().toString(36)}`;
  const appEnv: Record<string, string> = {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    S3_ENDPOINT: s3.endpoint,
    S3_ACCESS_KEY: s3.accessKey,
    S3_SECRET_KEY: s3.secretKey,
    S3_REGION: s3.region,
    S3_BUCKET: bucket,
    JWT_SECRET: 'bench-secret-that-is-long-enough-for-hs256-0123456789',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    SCHEDULED_JOBS_ENABLED: 'false',
    DATA_DIR: join(directory, 'data'),
    ...extraEnv,
  };
  const app = await startChildApp(appEnv);
  stops.push(() => app.kill('SIGTERM'));
  const login = (await (
    await fetch(`${app.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    })
  ).json()) as { accessToken: string };
  return {
    s3: { ...s3, bucket },
    s3Pid,
    databaseUrl,
    app,
    appEnv,
    adminToken: login.accessToken,
    stop: async () => {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

async function startS3Process(directory: string) {
  const nodeArgs = nodeArgsFrom('S3_NODE_ARGS'); // to profile the S3 server
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--import', './test/support/register-ts.mjs', 'bench/s3-server.ts', directory],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = once(child, 'exit');
  const [line] = (await Promise.race([
    once(child.stdout, 'data'),
    exited.then(() => {
      throw new Error('the S3 server process exited before it started');
    }),
  ])) as [Buffer];
  const s3 = JSON.parse(line.toString()) as { endpoint: string; accessKey: string; secretKey: string; region: string };
  return {
    s3,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Resident set size of a process, in bytes (Linux). */
export function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

export function percentile(sortedValues: number[], p: number): number {
  if (sortedValues.length === 0) return NaN;
  const index = Math.min(sortedValues.length - 1, Math.ceil((p / 100) * sortedValues.length) - 1);
  return sortedValues[Math.max(0, index)];
}

/** CPU time (user + system) a process has used so far, in milliseconds (Linux /proc; clock ticks of 10 ms). */
export function cpuMsOf(pid: number): number {
  // Fields after the command name (which may contain spaces, hence the last ')'): utime is the 12th, stime the 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** CPU time (ms) used so far by every running process with this command name, e.g. PostgreSQL's backends. */
export function cpuMsOfCommand(command: string): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === command) total += cpuMsOf(Number(entry));
    } catch {
      // The process ended meanwhile.
    }
  }
  return total;
}

/** Transactions the database has ended so far (commits and rollbacks; each single statement outside one counts). */
export async function transactionsOf(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ ended: string }>(
      'SELECT xact_commit + xact_rollback AS ended FROM pg_stat_database WHERE datname = current_database()',
    );
    return Number(rows[0].ended);
  } finally {
    await client.end();
  }
}

/**
 * Another instance on the environment's database and bucket, run as production runs it: the built `dist/main.js`
 * (npm run build first), `MEDIAVAULT_ROLE=worker` unless `extraEnv` says otherwise. Ready once /api/health answers.
 */
export async function startBuiltWorker(
  environment: BenchEnvironment,
  extraEnv: Record<string, string> = {},
  onSpawn?: (child: ChildProcess) => void,
): Promise<{ process: ChildProcess; url: string; kill(signal?: NodeJS.Signals): Promise<void> }> {
  const port = await freePort();
  const nodeArgs = nodeArgsFrom('WORKER_NODE_ARGS'); // to profile the worker
  const child = spawn(process.execPath, [...nodeArgs, 'dist/main.js'], {
    env: { ...process.env, ...environment.appEnv, MEDIAVAULT_ROLE: 'worker', PORT: String(port), ...extraEnv },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  onSpawn?.(child);
  const exited = once(child, 'exit');
  const kill = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await exited;
  };
  for (const deadline = Date.now() + 60_000; ;) {
    if (child.exitCode !== null) throw new Error(`the worker exited with ${child.exitCode} (run npm run build?)`);
    const healthy = await fetch(`http://127.0.0.1:${port}/api/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) return { process: child, url: `http://127.0.0.1:${port}`, kill };
    if (Date.now() > deadline) {
      await kill('SIGKILL');
      throw new Error('the worker did not start within a minute');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
