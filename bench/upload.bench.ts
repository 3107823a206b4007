/**
 * Upload benchmark (npm run bench:upload). Not a test: it prints figures.
 * 1. One 256 MiB file through POST /api/uploads against a direct minio-client PUT of the same bytes to the same
 *    S3 server: throughput ratio, and the server's peak RSS growth while it streams the upload.
 * 2. 50 parallel uploads of one content: all 201, one pending file, one stored object.
 * 3. Small files as a browser sends a folder: 400 uploads of 64 KiB, one file a request, 8 clients at once, against
 *    direct PUTs of the same files by 8 clients: files per second, their ratio, latency p50/p95.
 *    Both are warmed up first (BENCH_SMALL_WARMUP uploads each, default 100, not measured).
 * BENCH_UPLOAD_SCENARIOS=small (comma list of big, parallel, small) runs only some of them.
 */
import { Client } from 'minio';
import { randomBytes, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import pg from 'pg';
import { cpuMsOf, cpuMsOfCommand, percentile, rssOf, startBenchEnvironment, transactionsOf } from './bench-env.js';

const SIZE = Number(process.env.BENCH_UPLOAD_MIB ?? 256) * 1024 * 1024;
const CHUNK = 1024 * 1024;
const PARALLEL = 50;
const SMALL_FILES = Number(process.env.BENCH_SMALL_FILES ?? 400);
const SMALL_SIZE = 64 * 1024;
const SMALL_CLIENTS = 8;
const SMALL_WARMUP = Number(process.env.BENCH_SMALL_WARMUP ?? 100);
const SCENARIOS = new Set((process.env.BENCH_UPLOAD_SCENARIOS ?? 'big,parallel,small').split(','));

/** Runs `task(i)` for i in 0..count-1 on `clients` workers: each task's duration (ms) and the total seconds. */
async function timedPool(count: number, clients: number, task: (i: number) => Promise<void>) {
  const durations: number[] = [];
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < count) {
        const i = next++;
        const taskStart = process.hrtime.bigint();
        await task(i);
        durations.push(Number(process.hrtime.bigint() - taskStart) / 1e6);
      }
    }),
  );
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, durations: durations.sort((a, b) => a - b) };
}

/** 256 MiB of pseudo-random bytes generated on the fly from one random MiB (no 256 MiB buffer in this process). */
function payload(seed: Buffer): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= SIZE) return this.push(null);
      const chunk = Buffer.from(seed);
      chunk.writeUInt32BE(sent / CHUNK, 0); // every MiB differs, so no chunk-level dedup could flatter anyone
      sent += chunk.length;
      this.push(chunk);
    },
  });
}

function multipartUpload(
  url: string,
  token: string,
  body: Readable,
  size: number,
  filename: string,
): Promise<{ status: number; body: string }> {
  const boundary = `----mediavault${randomUUID()}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${filename}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/api/uploads`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': head.length + size + tail.length,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.write(head);
    body.on('end', () => req.end(tail));
    body.pipe(req, { end: false });
  });
}

async function main(): Promise<void> {
  // Scenario 2 sends 50 uploads at once as one user, far beyond a person's default allowance (8); the others run
  // within the defaults.
  const env = await startBenchEnvironment({
    UPLOAD_CONCURRENCY_PER_USER: String(PARALLEL),
    // Uploads alone by default: rendering is measured by bench:renditions (uploads while it renders).
    MEDIAVAULT_ROLE: process.env.MEDIAVAULT_ROLE ?? 'api',
  });
  try {
    const seed = randomBytes(CHUNK);
    const minio = new Client({
      endPoint: new URL(env.s3.endpoint).hostname,
      port: Number(new URL(env.s3.endpoint).port),
      useSSL: false,
      accessKey: env.s3.accessKey,
      secretKey: env.s3.secretKey,
      region: env.s3.region,
      partSize: 8 * 1024 * 1024, // the same part size as the server's adapter
    });

    // Warm-up: one small upload each way, so connection set-up and JIT don't count.
    await minio.putObject(env.s3.bucket, 'bench/warmup', Buffer.from('warm'), 4);
    await multipartUpload(env.app.url, env.adminToken, Readable.from([Buffer.from('warm-up')]), 7, 'warm.txt');

    if (SCENARIOS.has('big')) await bigFile(env, minio, seed);
    if (SCENARIOS.has('parallel')) await parallelSameContent(env, minio);
    if (SCENARIOS.has('small')) await smallFiles(env, minio);
  } finally {
    await env.stop();
  }
}

type BenchEnvironment = Awaited<ReturnType<typeof startBenchEnvironment>>;

async function bigFile(env: BenchEnvironment, minio: Client, seed: Buffer): Promise<void> {
  const directStart = process.hrtime.bigint();
  await minio.putObject(env.s3.bucket, `bench/direct-${randomUUID()}`, payload(seed), SIZE);
  const directSeconds = Number(process.hrtime.bigint() - directStart) / 1e9;

  const pid = env.app.process.pid!;
  const baseline = rssOf(pid);
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 20);
  const viaStart = process.hrtime.bigint();
  const response = await multipartUpload(
    env.app.url,
    env.adminToken,
    payload(Buffer.from(seed).reverse()),
    SIZE,
    'big.bin',
  );
  const viaSeconds = Number(process.hrtime.bigint() - viaStart) / 1e9;
  clearInterval(sampler);
  if (response.status !== 201) throw new Error(`upload answered ${response.status}: ${response.body}`);

  const mib = SIZE / 1024 / 1024;
  const ratio = directSeconds / viaSeconds;
  console.log(`\n# Upload benchmark (${mib} MiB, embedded S3 server on loopback)`);
  console.log(`direct minio PUT:        ${(mib / directSeconds).toFixed(1)} MiB/s (${directSeconds.toFixed(2)} s)`);
  console.log(`POST /api/uploads:       ${(mib / viaSeconds).toFixed(1)} MiB/s (${viaSeconds.toFixed(2)} s)`);
  console.log(`throughput ratio:        ${ratio.toFixed(2)} (target >= 0.90)`);
  console.log(`server peak RSS growth:  ${((peak - baseline) / 1024 / 1024).toFixed(1)} MB (target <= 64 MB)`);
}

async function parallelSameContent(env: BenchEnvironment, minio: Client): Promise<void> {
  // 50 parallel uploads of one content.
  const same = randomBytes(256 * 1024);
  const parallelStart = Date.now();
  const results = await Promise.all(
    Array.from({ length: PARALLEL }, (_, i) =>
      multipartUpload(env.app.url, env.adminToken, Readable.from([same]), same.length, `same-${i}.bin`),
    ),
  );
  const statuses = results.map((result) => result.status);
  const perFile = results.map(
    (result) => (JSON.parse(result.body) as { results: Array<{ status: string }> }).results[0].status,
  );
  const client = new pg.Client({ connectionString: env.databaseUrl });
  await client.connect();
  const { createHash } = await import('node:crypto');
  const hash = createHash('sha256').update(same).digest('hex');
  const count = async (table: string) =>
    (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE hash = $1`, [hash])).rows[0].n;
  const pendingRows = await count('pending_files');
  const storedRows = await count('stored_objects');
  // Wait for the queued deletes of the 49 duplicate copies, then count objects in the bucket.
  let objects = 0;
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM storage_deletions`);
    if (rows[0].n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const stored = (await client.query<{ object_key: string }>(`SELECT object_key FROM stored_objects`)).rows.map(
    (row) => row.object_key,
  );
  // The client types its listing stream's items as any.
  const listing = minio.listObjectsV2(env.s3.bucket, 'objects/', true) as AsyncIterable<{ name?: string }>;
  for await (const object of listing) if (object.name) objects += 1;
  await client.end();
  console.log(`\n# ${PARALLEL} parallel uploads of one 256 KiB content (${Date.now() - parallelStart} ms)`);
  console.log(
    `HTTP statuses:           ${[...new Set(statuses)].join(', ')} (all 201: ${statuses.every((s) => s === 201)})`,
  );
  console.log(
    `per-file statuses:       ${Object.entries(
      perFile.reduce<Record<string, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {}),
    )
      .map(([k, v]) => `${k} x${v}`)
      .join(', ')}`,
  );
  console.log(`pending files:           ${pendingRows} (expected 1)`);
  console.log(`stored content rows:     ${storedRows} (expected 1)`);
  console.log(
    `objects in the bucket:   ${objects} (expected ${stored.length}: the 256 MiB file, the warm-up and this one)`,
  );
}

/**
 * The database's transaction count once the statistics of what just ran are in: an idle connection reports its
 * counts within 10 s (PostgreSQL's PGSTAT_IDLE_INTERVAL), a busy one every second.
 */
async function settledTransactions(databaseUrl: string): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 11_000));
  return transactionsOf(databaseUrl);
}

async function smallFiles(env: BenchEnvironment, minio: Client): Promise<void> {
  const files = Array.from({ length: SMALL_FILES }, () => randomBytes(SMALL_SIZE));
  // A server runs warm: both paths first do SMALL_WARMUP uploads unmeasured, so JIT compilation is not timed.
  await timedPool(SMALL_WARMUP, SMALL_CLIENTS, async () => {
    await minio.putObject(env.s3.bucket, `bench/warm-${randomUUID()}`, randomBytes(SMALL_SIZE), SMALL_SIZE);
    await multipartUpload(
      env.app.url,
      env.adminToken,
      Readable.from([randomBytes(SMALL_SIZE)]),
      SMALL_SIZE,
      'warm.bin',
    );
  });
  const directCpuBefore = cpuMsOf(process.pid);
  const direct = await timedPool(SMALL_FILES, SMALL_CLIENTS, async (i) => {
    await minio.putObject(env.s3.bucket, `bench/small-${randomUUID()}`, files[i], SMALL_SIZE);
  });
  const directCpuMs = cpuMsOf(process.pid) - directCpuBefore;
  // Other bytes for the API (the same would all be duplicates of what the direct PUTs did not record anyway).
  const viaFiles = files.map((file) => Buffer.from(file).reverse());
  const statuses: number[] = [];
  const serverPid = env.app.process.pid ?? 0;
  const cpuBefore = cpuMsOf(serverPid);
  const benchCpuBefore = cpuMsOf(process.pid);
  const databaseCpuBefore = cpuMsOfCommand('postgres');
  const transactionsBefore = await settledTransactions(env.databaseUrl);
  const via = await timedPool(SMALL_FILES, SMALL_CLIENTS, async (i) => {
    const body = Readable.from([viaFiles[i]]);
    const response = await multipartUpload(env.app.url, env.adminToken, body, SMALL_SIZE, `photo-${i}.jpg`);
    statuses.push(response.status);
  });
  const serverCpuMs = cpuMsOf(serverPid) - cpuBefore;
  const benchCpuMs = cpuMsOf(process.pid) - benchCpuBefore;
  const databaseCpuMs = cpuMsOfCommand('postgres') - databaseCpuBefore;
  // Minus the two statements the counting itself ends (one per reading).
  const transactions = (await settledTransactions(env.databaseUrl)) - transactionsBefore - 2;
  const perSecond = (seconds: number) => SMALL_FILES / seconds;
  const line = (label: string, run: { seconds: number; durations: number[] }) =>
    console.log(
      `${label} ${perSecond(run.seconds).toFixed(1)} files/s (${run.seconds.toFixed(2)} s), ` +
        `p50 ${percentile(run.durations, 50).toFixed(1)} ms, p95 ${percentile(run.durations, 95).toFixed(1)} ms`,
    );
  console.log(`\n# ${SMALL_FILES} uploads of ${SMALL_SIZE / 1024} KiB, one file a request, ${SMALL_CLIENTS} clients`);
  line('direct minio PUT:       ', direct);
  line('POST /api/uploads:      ', via);
  console.log(`files/s ratio:           ${(direct.seconds / via.seconds).toFixed(2)} (target >= 0.70)`);
  const perFile = (ms: number) => `${(ms / SMALL_FILES).toFixed(2)} ms`;
  // Where the machine's CPU goes per upload; this process is the clients and the embedded S3 server together.
  console.log(
    `CPU per upload:          server ${perFile(serverCpuMs)}, PostgreSQL ${perFile(databaseCpuMs)}, ` +
      `clients + S3 server ${perFile(benchCpuMs)} (user + system)`,
  );
  console.log(`CPU per direct PUT:      clients + S3 server ${perFile(directCpuMs)}`);
  // However well the API waits, its files per second cannot exceed the cores divided by its CPU per upload.
  const cores = availableParallelism();
  const apiCpuMs = (serverCpuMs + databaseCpuMs + benchCpuMs) / SMALL_FILES;
  const ceiling = (cores * 1000) / apiCpuMs;
  const ofDirect = (ceiling / perSecond(direct.seconds)).toFixed(2);
  console.log(
    `CPU-bound ceiling:       ${ceiling.toFixed(0)} API files/s on ${cores} cores ` +
      `(${ofDirect} of the direct PUTs) at ${apiCpuMs.toFixed(2)} ms per upload`,
  );
  console.log(`database transactions:   ${(transactions / SMALL_FILES).toFixed(2)} per upload (commits + rollbacks)`);
  const allCreated = statuses.every((s) => s === 201);
  console.log(`HTTP statuses:           ${[...new Set(statuses)].join(', ')} (all 201: ${allCreated})`);
}

await main();
