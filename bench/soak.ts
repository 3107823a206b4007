/**
 * Soak (npm run soak -- --minutes N [--seed S] [--concurrency C] [--fault-every SECONDS] [--report FILE]).
 * Not part of `npm test`: it runs for minutes and prints a report.
 *
 * An embedded PostgreSQL and S3 server, two mediavault servers (child processes) on that one database and bucket
 * with the scheduled jobs on, and a randomized workload over HTTP against both (upload, approve, reject, trash,
 * restore, purge, empty trash, expire, collect garbage, list, read content) while faults are injected on a timer:
 * an instance SIGKILLed and restarted, the storage server stopped for some seconds and restarted on the same port
 * and directory. At the end the faults stop, the upload claims of killed processes are left to go stale (the
 * configured timeout), the jobs run through the admin endpoint and the invariants I1–I6 are checked against the
 * database and the bucket. Prints operation counts by type and status, error rates (5xx separately, split by
 * whether a fault was under way) and the invariant report. Exit code 1 on any invariant violation.
 */
import 'reflect-metadata';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/embedded/embedded-postgres.js';
import { startEmbeddedS3, type EmbeddedS3 } from '../src/embedded/embedded-s3.js';
import { MinioObjectStorage } from '../src/storage/minio-object-storage.js';
import { startChildApp, type ChildApp } from '../test/support/child-app.js';
import {
  ALLOWED as WORKLOAD_ALLOWED,
  prng,
  type OperationName as WorkloadOperationName,
} from '../test/support/workload.js';
import { checkInvariants, formatViolations, type Violation } from '../test/support/invariants.js';
import { solidPng } from '../test/support/media.js';

// --- options --------------------------------------------------------------------------------------------------------

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} needs a number, got ${process.argv[index + 1]}`);
  return value;
}
function stringOption(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? undefined : process.argv[index + 1];
}

const MINUTES = option('minutes', 10);
const SEED = option('seed', Math.floor(Math.random() * 2 ** 31));
const CONCURRENCY = option('concurrency', 6);
const FAULT_EVERY_SECONDS = option('fault-every', 30);
const REPORT_FILE = stringOption('report');
const UPLOAD_SESSION_TIMEOUT_SECONDS = 30;
const REQUEST_TIMEOUT_MS = 60_000;
/** A request that overlaps a fault, or ends this soon after one, may fail because of it. */
const FAULT_GRACE_MS = 5_000;
const CONTENT_COUNT = 48;

const ADMIN = { email: 'soak-admin@localhost', password: 'soak-admin-password' };
const MEMBER_PASSWORD = 'soak-member-password';

const random = prng(SEED);
const pick = <T>(items: readonly T[]): T | undefined =>
  items.length ? items[Math.floor(random() * items.length)] : undefined;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const log = (message: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

// --- environment: database, storage, two instances ------------------------------------------------------------------

const directory = mkdtempSync(join(tmpdir(), 'mediavault-soak-'));
chmodSync(directory, 0o755); // PostgreSQL runs as `postgres` when we are root
const s3Directory = join(directory, 'objects');
const bucket = `soak-${Date.now().toString(36)}`;
const logDirectory = join(tmpdir(), `mediavault-soak-logs-${Date.now().toString(36)}`);
mkdirSync(logDirectory, { recursive: true });

let s3: EmbeddedS3 | undefined;
let s3Port = 0;
let s3Credentials: { endpoint: string; accessKey: string; secretKey: string; region: string };

async function startStorage(): Promise<void> {
  s3 = await startEmbeddedS3({ directory: s3Directory, port: s3Port });
  s3Port = Number(new URL(s3.endpoint).port);
  s3Credentials = { endpoint: s3.endpoint, accessKey: s3.accessKey, secretKey: s3.secretKey, region: s3.region };
}

async function stopStorage(): Promise<void> {
  const server = s3;
  s3 = undefined;
  await server?.stop();
}

interface Instance {
  name: string;
  child?: ChildApp;
  url?: string;
  alive: boolean;
  starts: number;
}

let databaseUrl = '';
const instances: Instance[] = [
  { name: 'A', alive: false, starts: 0 },
  { name: 'B', alive: false, starts: 0 },
];

function instanceEnv(instance: Instance): Record<string, string> {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    S3_ENDPOINT: s3Credentials.endpoint,
    S3_ACCESS_KEY: s3Credentials.accessKey,
    S3_SECRET_KEY: s3Credentials.secretKey,
    S3_REGION: s3Credentials.region,
    S3_BUCKET: bucket,
    JWT_SECRET: 'soak-secret-that-is-long-enough-for-hs256-0123456789',
    JWT_EXPIRES_IN_SECONDS: String(Math.max(3600, Math.ceil(MINUTES * 60 * 2))),
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    DATA_DIR: join(directory, `data-${instance.name}`),
    // Crash debris is collectable at once (the claims still protect live uploads), and a killed process's claims
    // go stale quickly, so the end-of-run collection can prove I4.
    ORPHAN_GRACE_MINUTES: '0',
    UPLOAD_SESSION_TIMEOUT_SECONDS: String(UPLOAD_SESSION_TIMEOUT_SECONDS),
    // The instances render too (role all); a killed one's rendition job is taken again once its lease lapses, which
    // the end-of-run wait for stale claims covers.
    RENDITION_LEASE_SECONDS: String(UPLOAD_SESSION_TIMEOUT_SECONDS),
    RENDITION_RETRY_SECONDS: '1',
    SCHEDULED_JOBS_ENABLED: 'true',
    JOB_SCHEDULE_PROCESS_DELETIONS: '10s',
    JOB_SCHEDULE_EXPIRE_PENDING: '20s',
    JOB_SCHEDULE_PURGE_TRASH: '1m',
    JOB_SCHEDULE_COLLECT_GARBAGE: '45s',
    JOB_SCHEDULE_VERIFY_INTEGRITY: '3m',
    UPLOAD_RATE_LIMIT: '0',
    // The soak's workers upload as one user far more at once than any person would.
    UPLOAD_CONCURRENCY_PER_USER: '0',
    LOGIN_RATE_LIMIT: '0',
  };
}

async function startInstance(instance: Instance): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      instance.child = await startChildApp(instanceEnv(instance));
      break;
    } catch (error) {
      // A start can fail while storage is paused (the bucket check at start-up): try again shortly.
      if (attempt >= 10) throw error;
      log(`instance ${instance.name} failed to start (attempt ${attempt}): ${String(error).split('\n')[0]}`);
      await sleep(2000);
    }
  }
  instance.url = instance.child.url;
  instance.alive = true;
  instance.starts += 1;
  // Each process's error log (5xx stacks) is kept after the run for diagnosis.
  const logFile = join(logDirectory, `${instance.name}-${instance.starts}.log`);
  instance.child.process.stderr!.on('data', (chunk: Buffer) => appendFileSync(logFile, chunk));
  instance.child.process.stdout!.on('data', (chunk: Buffer) => appendFileSync(logFile, chunk));
  const child = instance.child;
  child.process.once('exit', (code, signal) => {
    if (instance.child === child && !killing.has(instance) && !stopping) {
      log(`instance ${instance.name} exited on its own (code ${code}, signal ${signal}): restarting`);
      unexpectedExits += 1;
      instance.alive = false;
      void startInstance(instance).catch((error) => log(`restart failed: ${String(error)}`));
    }
  });
}

const killing = new Set<Instance>();
let unexpectedExits = 0;

async function killInstance(instance: Instance): Promise<void> {
  killing.add(instance);
  instance.alive = false;
  await instance.child?.kill('SIGKILL');
  killing.delete(instance);
}

// --- statistics -----------------------------------------------------------------------------------------------------

interface FaultWindow {
  kind: 'kill' | 'storage';
  target: string;
  start: number;
  end?: number;
}
const faultWindows: FaultWindow[] = [];
const duringFault = (start: number, end: number) =>
  faultWindows.some((w) => start <= (w.end ?? Infinity) + FAULT_GRACE_MS && end >= w.start);

/** `op` → `status[ code]` → count; status `NET` for a connection that failed (instance killed), `TIMEOUT`. */
const outcomes = new Map<string, Map<string, number>>();
const uploadResults = new Map<string, number>();
const fiveHundreds: Array<{ op: string; status: string; code?: string; duringFault: boolean; body: string }> = [];
const unexpected: string[] = [];
const liveReadMismatches: string[] = [];
let operations = 0;

function count(op: string, key: string): void {
  const byKey = outcomes.get(op) ?? new Map<string, number>();
  byKey.set(key, (byKey.get(key) ?? 0) + 1);
  outcomes.set(op, byKey);
}

// --- the workload ---------------------------------------------------------------------------------------------------

/** The workload's operations, plus the reads only the soak does. */
type OperationName = WorkloadOperationName | 'list' | 'read';

const WEIGHTS: Array<[OperationName, number]> = [
  ['upload', 28],
  ['approve', 14],
  ['reject', 6],
  ['trash', 10],
  ['restore', 6],
  ['purge', 6],
  ['empty-trash', 2],
  ['expire', 4],
  ['collect-garbage', 4],
  ['list', 8],
  ['read', 12],
];

/** What the contract allows each operation to answer (besides 503 while a dependency is down): the workload's
 * table, plus the reads only the soak does. */
const ALLOWED: Record<OperationName, Record<number, string[] | true>> = {
  ...WORKLOAD_ALLOWED,
  list: { 200: true },
  read: { 200: true, 404: ['NOT_FOUND'] },
};
const UNAVAILABLE_CODES = ['STORAGE_UNAVAILABLE', 'DATABASE_UNAVAILABLE', 'SERVICE_UNAVAILABLE'];

/**
 * Text contents (detected as documents): mostly small, a few of a few MiB so a kill can land mid-stream; every
 * fourth a small picture instead, so renditions are made, freed and interrupted by the faults too (I6).
 */
const isPicture = (index: number) => index % 4 === 1;
const contents: Buffer[] = Array.from({ length: CONTENT_COUNT }, (_, index) => {
  if (isPicture(index)) return solidPng(64 + (index % 200), [index % 256, (index * 7) % 256, (SEED + index) % 256]);
  const size = index % 8 === 0 ? 1_000_000 + Math.floor(random() * 3_000_000) : 64 + Math.floor(random() * 64_000);
  const line = `soak content ${index} ${SEED} `;
  const text = (line + randomBytes(Math.ceil(size / 2)).toString('base64')).slice(0, size);
  return Buffer.from(`${text}\n`);
});
const contentHashes = contents.map(sha256);

interface User {
  id: string;
  email: string;
  token: string;
  role: 'admin' | 'member';
}
let users: User[] = [];
let admin: User;

let pool: pg.Pool;
interface Targets {
  pending: Array<{ id: string; hash: string }>;
  active: Array<{ id: string; hash: string; createdBy: string }>;
  trashed: Array<{ id: string; createdBy: string }>;
}
async function readTargets(): Promise<Targets> {
  const pending = (
    await pool.query<{ id: string; hash: string }>(`SELECT id, hash FROM pending_files ORDER BY created_at, id`)
  ).rows;
  const media = (
    await pool.query<{ id: string; hash: string; createdBy: string; trashed: boolean }>(
      `SELECT id, hash, created_by AS "createdBy", deleted_at IS NOT NULL AS trashed
         FROM media_files ORDER BY created_at, id`,
    )
  ).rows;
  return { pending, active: media.filter((m) => !m.trashed), trashed: media.filter((m) => m.trashed) };
}

interface HttpAnswer {
  status: number;
  body: Record<string, unknown>;
  bytes?: Buffer;
}

async function call(
  instance: Instance,
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
  binary = false,
): Promise<HttpAnswer> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  let payload: FormData | string | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const response = await fetch(`${instance.url}${path}`, {
    method,
    headers,
    body: payload,
    redirect: 'manual',
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  if (binary && response.status < 300) return { status: response.status, body: {}, bytes };
  let parsed: Record<string, unknown> = {};
  if (bytes.length) {
    try {
      parsed = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    } catch {
      parsed = { unparsed: bytes.toString('utf8').slice(0, 200) };
    }
  }
  return { status: response.status, body: parsed };
}

function chooseOperation(): OperationName {
  const total = WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = random() * total;
  for (const [name, weight] of WEIGHTS) {
    roll -= weight;
    if (roll < 0) return name;
  }
  return 'upload';
}

async function runOperation(chosen: OperationName, targets: Targets): Promise<void> {
  const needs: Partial<Record<OperationName, unknown[]>> = {
    approve: targets.pending,
    reject: targets.pending,
    trash: targets.active,
    restore: targets.trashed,
    purge: targets.trashed,
    read: targets.active,
  };
  const name: OperationName = needs[chosen]?.length === 0 ? 'upload' : chosen;
  const instance = pick(instances.filter((i) => i.alive));
  if (!instance) {
    await sleep(200);
    return;
  }
  const userById = (id: string) => users.find((user) => user.id === id);
  const managerOf = (createdBy: string) => (random() < 0.5 ? (userById(createdBy) ?? admin) : admin);

  let request: () => Promise<HttpAnswer>;
  let verify: (answer: HttpAnswer) => void = () => undefined;
  switch (name) {
    case 'approve': {
      const target = pick(targets.pending)!;
      const title = pick(['Report', 'Holiday photo', 'Notes', 'Minutes'])!;
      request = () => call(instance, 'POST', `/api/pending/${target.id}/approve`, admin.token, { title });
      verify = (answer) => {
        const mediaFile = answer.body.mediaFile as { hash?: string } | undefined;
        if (answer.status === 201 && mediaFile?.hash !== target.hash)
          unexpected.push(`approve of ${target.id} gave another hash`);
      };
      break;
    }
    case 'reject': {
      const target = pick(targets.pending)!;
      request = () => call(instance, 'POST', `/api/pending/${target.id}/reject`, admin.token, { reason: 'soak' });
      break;
    }
    case 'trash': {
      const target = pick(targets.active)!;
      const user = managerOf(target.createdBy);
      request = () => call(instance, 'DELETE', `/api/files/${target.id}`, user.token);
      break;
    }
    case 'restore': {
      const target = pick(targets.trashed)!;
      const user = managerOf(target.createdBy);
      request = () => call(instance, 'POST', `/api/trash/${target.id}/restore`, user.token);
      break;
    }
    case 'purge': {
      const target = pick(targets.trashed)!;
      request = () => call(instance, 'DELETE', `/api/trash/${target.id}`, admin.token);
      break;
    }
    case 'empty-trash':
      request = () => call(instance, 'DELETE', '/api/trash', admin.token);
      break;
    case 'expire': {
      const target = pick(targets.pending);
      request = async () => {
        // What time would do: push one expiry into the past, then let the job find it.
        if (target) {
          await pool.query(`UPDATE pending_files SET expires_at = now() - interval '1 minute' WHERE id = $1`, [
            target.id,
          ]);
        }
        return call(instance, 'POST', '/api/admin/maintenance/expire-pending', admin.token);
      };
      break;
    }
    case 'collect-garbage':
      request = () => call(instance, 'POST', '/api/admin/maintenance/collect-garbage', admin.token);
      break;
    case 'list': {
      const user = pick(users)!;
      request = () => call(instance, 'GET', `/api/files?pageSize=50&page=${1 + Math.floor(random() * 2)}`, user.token);
      break;
    }
    case 'read': {
      const target = pick(targets.active)!;
      request = () => call(instance, 'GET', `/api/files/${target.id}/content`, admin.token, undefined, true);
      verify = (answer) => {
        // A full read of an active file must give exactly its content (I1 seen from a client).
        if (answer.status === 200 && answer.bytes && sha256(answer.bytes) !== target.hash) {
          liveReadMismatches.push(`${target.id}: expected ${target.hash}, got ${sha256(answer.bytes)}`);
        }
      };
      break;
    }
    case 'upload': {
      const user = pick(users)!;
      const indexes = [Math.floor(random() * contents.length)];
      if (random() < 0.2) indexes.push(Math.floor(random() * contents.length));
      request = () => {
        const form = new FormData();
        for (const index of indexes)
          form.append('files', new Blob([contents[index]]), `content-${index}.${isPicture(index) ? 'png' : 'txt'}`);
        return call(instance, 'POST', '/api/uploads', user.token, form);
      };
      verify = (answer) => {
        if (answer.status !== 201) return;
        const results = answer.body.results as Array<{ status: string; hash: string }>;
        results.forEach((result, position) => {
          uploadResults.set(result.status, (uploadResults.get(result.status) ?? 0) + 1);
          if (
            result.hash !== contentHashes[indexes[position]] ||
            !['pending', 'pending_updated', 'exists'].includes(result.status)
          ) {
            unexpected.push(`upload of content ${indexes[position]} answered ${JSON.stringify(result).slice(0, 300)}`);
          }
        });
      };
      break;
    }
  }

  const started = Date.now();
  operations += 1;
  let answer: HttpAnswer;
  try {
    answer = await request();
  } catch (error) {
    const timeout = (error as Error).name === 'TimeoutError';
    const key = timeout ? 'TIMEOUT' : 'NET';
    count(name, key);
    if (!duringFault(started, Date.now()))
      unexpected.push(`${name} on ${instance.name}: ${key} outside any fault: ${String(error)}`);
    return;
  }
  const code = typeof answer.body.code === 'string' ? answer.body.code : undefined;
  count(name, `${answer.status}${code ? ` ${code}` : ''}`);
  const faulty = duringFault(started, Date.now());
  if (answer.status >= 500) {
    fiveHundreds.push({
      op: name,
      status: String(answer.status),
      code,
      duringFault: faulty,
      body: JSON.stringify(answer.body).slice(0, 300),
    });
    if (!(answer.status === 503 && code && UNAVAILABLE_CODES.includes(code))) {
      unexpected.push(
        `${name} on ${instance.name} answered ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`,
      );
    }
    return;
  }
  const allowed = ALLOWED[name][answer.status];
  if (!allowed || (allowed !== true && (!code || !allowed.includes(code)))) {
    unexpected.push(
      `${name} on ${instance.name} answered ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`,
    );
  }
  verify(answer);
}

let stopping = false;

async function worker(): Promise<void> {
  while (!stopping) {
    let targets: Targets;
    try {
      targets = await readTargets();
    } catch (error) {
      log(`reading targets failed: ${String(error)}`);
      await sleep(500);
      continue;
    }
    await runOperation(chooseOperation(), targets);
  }
}

// --- faults ---------------------------------------------------------------------------------------------------------

async function injectFaults(): Promise<void> {
  let round = 0;
  await sleepUnlessStopping(Math.min(FAULT_EVERY_SECONDS * 1000, 15_000));
  while (!stopping) {
    if (round % 2 === 0) {
      const instance = instances[(round / 2) % instances.length];
      const window: FaultWindow = { kind: 'kill', target: instance.name, start: Date.now() };
      faultWindows.push(window);
      await killInstance(instance);
      const downMs = 1000 + Math.floor(random() * 4000);
      log(`fault: instance ${instance.name} SIGKILLed, restarting in ${(downMs / 1000).toFixed(1)} s`);
      await sleep(downMs);
      await startInstance(instance);
      window.end = Date.now();
      const downSeconds = ((window.end - window.start) / 1000).toFixed(1);
      log(`fault: instance ${instance.name} back at ${instance.url} after ${downSeconds} s`);
    } else {
      const window: FaultWindow = { kind: 'storage', target: 's3', start: Date.now() };
      faultWindows.push(window);
      await stopStorage();
      const pausedMs = 4000 + Math.floor(random() * 8000);
      log(`fault: storage stopped for ${(pausedMs / 1000).toFixed(1)} s`);
      await sleep(pausedMs);
      await startStorage();
      window.end = Date.now();
      log('fault: storage back');
    }
    round += 1;
    await sleepUnlessStopping(FAULT_EVERY_SECONDS * 1000);
  }
}

async function sleepUnlessStopping(ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!stopping && Date.now() < until) await sleep(Math.min(250, until - Date.now()));
}

// --- set-up helpers -------------------------------------------------------------------------------------------------

async function login(instance: Instance, email: string, password: string): Promise<string> {
  const answer = await call(instance, 'POST', '/api/auth/login', undefined, { email, password });
  if (answer.status !== 200)
    throw new Error(`login of ${email} answered ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.accessToken as string;
}

async function runJob(job: string): Promise<Record<string, unknown>> {
  for (let attempt = 1; ; attempt += 1) {
    const instance = instances.find((i) => i.alive)!;
    const answer = await call(instance, 'POST', `/api/admin/maintenance/${job}`, admin.token);
    if (answer.status === 200) return answer.body;
    // 409: the scheduler of one of the instances is running the same job right now.
    if (answer.status !== 409 || attempt >= 200)
      throw new Error(`${job} answered ${answer.status} ${JSON.stringify(answer.body)}`);
    await sleep(250);
  }
}

async function outboxSize(): Promise<number> {
  return (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM storage_deletions`)).rows[0].n;
}

// --- the run --------------------------------------------------------------------------------------------------------

function pad(value: string | number, width: number): string {
  return String(value).padStart(width);
}

function buildReport(durationMs: number, violations: Violation[], jobReports: Record<string, unknown>): string {
  const lines: string[] = [];
  const total = [...outcomes.values()].reduce((sum, byKey) => sum + [...byKey.values()].reduce((a, b) => a + b, 0), 0);
  const kills = faultWindows.filter((w) => w.kind === 'kill');
  const pauses = faultWindows.filter((w) => w.kind === 'storage');
  const pausedSeconds = pauses.reduce((sum, w) => sum + ((w.end ?? Date.now()) - w.start), 0) / 1000;
  lines.push(
    `mediavault soak: ${(durationMs / 60_000).toFixed(1)} min of workload, seed ${SEED}, ` +
      `${CONCURRENCY} concurrent clients, 2 instances`,
  );
  lines.push(
    `faults: ${kills.length} SIGKILL + restart (${kills.map((w) => w.target).join('')}), ` +
      `${pauses.length} storage pauses (${pausedSeconds.toFixed(0)} s stopped in all); ` +
      `instance starts A ${instances[0].starts}, B ${instances[1].starts}; unexpected exits ${unexpectedExits}`,
  );
  lines.push(`operations: ${total} (${(total / (durationMs / 1000)).toFixed(1)}/s)`);
  lines.push('');
  const headings = ['total', '2xx', '4xx', '5xx', 'net'].map((heading) => pad(heading, 7)).join('');
  lines.push(`${'operation'.padEnd(16)}${headings}  outcomes`);
  for (const [op] of WEIGHTS) {
    const byKey = outcomes.get(op);
    if (!byKey) continue;
    const sum = (test: (key: string) => boolean) =>
      [...byKey].filter(([key]) => test(key)).reduce((a, [, n]) => a + n, 0);
    const detail = [...byKey]
      .sort((a, b) => b[1] - a[1])
      .map(([key, n]) => `${key}: ${n}`)
      .join(', ');
    lines.push(
      `${op.padEnd(16)}${pad(
        sum(() => true),
        7,
      )}${pad(
        sum((k) => k.startsWith('2')),
        7,
      )}${pad(
        sum((k) => k.startsWith('4')),
        7,
      )}` +
        `${pad(
          sum((k) => k.startsWith('5')),
          7,
        )}${pad(
          sum((k) => k === 'NET' || k === 'TIMEOUT'),
          7,
        )}  ${detail}`,
    );
  }
  lines.push(`upload results: ${[...uploadResults].map(([status, n]) => `${status} ${n}`).join(', ')}`);
  lines.push('');
  const all = (test: (key: string) => boolean) =>
    [...outcomes.values()].reduce(
      (sum, byKey) => sum + [...byKey].filter(([key]) => test(key)).reduce((a, [, n]) => a + n, 0),
      0,
    );
  const rate = (n: number) => `${n} (${((100 * n) / Math.max(1, total)).toFixed(2)} %)`;
  const fiveDuring = fiveHundreds.filter((f) => f.duringFault).length;
  lines.push(
    `error rates: 4xx ${rate(all((k) => k.startsWith('4')))} (expected: races of concurrent clients, 404/409)`,
  );
  lines.push(
    `             5xx ${rate(fiveHundreds.length)}: ${fiveDuring} while a fault was under way, ` +
      `${fiveHundreds.length - fiveDuring} outside; ` +
      `by code: ${summarize(fiveHundreds.map((f) => `${f.status} ${f.code ?? '-'}`))}`,
  );
  const connectionFailures = rate(all((k) => k === 'NET' || k === 'TIMEOUT'));
  lines.push(`             connection failures ${connectionFailures} (instance killed mid-request)`);
  lines.push(`responses outside the contract: ${unexpected.length}`);
  for (const line of unexpected.slice(0, 20)) lines.push(`  ${line}`);
  lines.push(`content reads with wrong bytes: ${liveReadMismatches.length}`);
  for (const line of liveReadMismatches.slice(0, 20)) lines.push(`  ${line}`);
  lines.push('');
  lines.push(`end of run: ${JSON.stringify(jobReports)}`);
  const byInvariant = ['I1', 'I2', 'I3', 'I4', 'I5', 'I6']
    .map((name) => `${name} ${violations.filter((v) => v.invariant === name).length}`)
    .join(', ');
  lines.push(
    `invariants: ${violations.length === 0 ? 'no violations' : `${violations.length} VIOLATIONS`} (${byInvariant})`,
  );
  if (violations.length) lines.push(formatViolations(violations));
  return lines.join('\n');
}

function summarize(keys: string[]): string {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return [...counts].map(([key, n]) => `${key} ${n}`).join(', ') || 'none';
}

async function main(): Promise<number> {
  log(
    `soak: ${MINUTES} min, seed ${SEED}, concurrency ${CONCURRENCY}, a fault every ${FAULT_EVERY_SECONDS} s; ` +
      `data in ${directory}, server logs in ${logDirectory}`,
  );
  const postgres = await startEmbeddedPostgres({ dataDir: join(directory, 'postgres'), fsync: false });
  databaseUrl = postgres.url;
  await startStorage();
  try {
    // One after the other: the first migrates, the second finds the schema (concurrent starts are tested elsewhere).
    for (const instance of instances) await startInstance(instance);
    pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
    const adminToken = await login(instances[0], ADMIN.email, ADMIN.password);
    const me = await call(instances[0], 'GET', '/api/auth/me', adminToken);
    admin = { id: me.body.id as string, email: ADMIN.email, token: adminToken, role: 'admin' };
    users = [admin];
    for (let index = 0; index < 3; index += 1) {
      const email = `member${index}@soak.local`;
      const created = await call(instances[0], 'POST', '/api/users', admin.token, {
        email,
        password: MEMBER_PASSWORD,
        role: 'member',
      });
      if (created.status !== 201) throw new Error(`creating ${email} answered ${created.status}`);
      users.push({
        id: created.body.id as string,
        email,
        token: await login(instances[1], email, MEMBER_PASSWORD),
        role: 'member',
      });
    }
    log(`instances A ${instances[0].url}, B ${instances[1].url}; workload starts`);

    const started = Date.now();
    const progress = setInterval(() => {
      const five = fiveHundreds.length;
      log(
        `${operations} operations, ${five} 5xx, ${unexpected.length} outside the contract, ` +
          `${faultWindows.length} faults so far`,
      );
    }, 30_000);
    const workers = Array.from({ length: CONCURRENCY }, () => worker());
    const faults = injectFaults();
    await sleep(MINUTES * 60_000);
    stopping = true;
    log('stopping: waiting for in-flight operations and the current fault to end');
    await Promise.all(workers);
    await faults;
    clearInterval(progress);
    const durationMs = Date.now() - started;
    if (!s3) await startStorage();
    for (const instance of instances) if (!instance.alive) await startInstance(instance);

    // Claims of uploads whose process was killed stop being refreshed; wait until they count as stale.
    log(`quiescent; waiting ${UPLOAD_SESSION_TIMEOUT_SECONDS + 5} s for dead upload claims to go stale`);
    await sleep((UPLOAD_SESSION_TIMEOUT_SECONDS + 5) * 1000);
    // Deletes that failed while storage was down wait for their backoff; make them due (what time would do).
    await pool.query(`UPDATE storage_deletions SET next_attempt_at = now()`);
    const jobReports: Record<string, unknown> = {
      outboxBefore: await outboxSize(),
      claimsBefore: (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM upload_sessions`)).rows[0].n,
    };
    jobReports['expire-pending'] = await runJob('expire-pending');

    const storage = new MinioObjectStorage({ ...s3Credentials, bucket });
    const collect = async () => {
      jobReports['collect-garbage'] = await runJob('collect-garbage');
      // The instances drain the outbox in the background after the job; give them a moment, then once more.
      for (let waited = 0; waited < 30_000 && (await outboxSize()) > 0; waited += 500) await sleep(500);
      if ((await outboxSize()) > 0) jobReports['collect-garbage (again)'] = await runJob('collect-garbage');
    };
    // I6 in full: the backfill job renders whatever is still queued (through the admin endpoint, like GC).
    const renderQueued = async () => (jobReports['generate-renditions'] = await runJob('generate-renditions'));
    const violations = await checkInvariants({ databaseUrl, storage, bucket, collect, renderQueued });
    jobReports['verify-integrity'] = await runJob('verify-integrity');
    storage.onModuleDestroy();

    const report = buildReport(durationMs, violations, jobReports);
    console.log(`\n${report}\n`);
    if (REPORT_FILE) writeFileSync(REPORT_FILE, `${report}\n`);
    return violations.length === 0 ? 0 : 1;
  } finally {
    stopping = true;
    await pool?.end().catch(() => undefined);
    for (const instance of instances) await instance.child?.kill('SIGTERM').catch(() => undefined);
    await stopStorage().catch(() => undefined);
    await postgres.stop().catch(() => undefined);
    rmSync(directory, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
