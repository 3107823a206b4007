/**
 * Shared set-up for benchmarks: an embedded PostgreSQL and S3 server in a temp dir (or DATABASE_URL / S3_ENDPOINT
 * when given), and a mediavault server in a child process so its memory can be measured on its own.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/embedded/embedded-postgres.js';
import { startEmbeddedS3 } from '../src/embedded/embedded-s3.js';
import { startChildApp, type ChildApp } from '../test/support/child-app.js';

export interface BenchEnvironment {
  s3: { endpoint: string; accessKey: string; secretKey: string; region: string; bucket: string };
  databaseUrl: string;
  app: ChildApp;
  adminToken: string;
  stop(): Promise<void>;
}

export const ADMIN = { email: 'bench-admin@localhost', password: 'bench-admin-password' };

export async function startBenchEnvironment(extraEnv: Record<string, string> = {}): Promise<BenchEnvironment> {
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
  if (!s3) {
    const embedded = await startEmbeddedS3({ directory: join(directory, 'objects') });
    stops.push(() => embedded.stop());
    s3 = embedded;
  }
  const bucket = `bench-${Date.now().toString(36)}`;
  const app = await startChildApp({
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
  });
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
    databaseUrl,
    app,
    adminToken: login.accessToken,
    stop: async () => {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      rmSync(directory, { recursive: true, force: true });
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
