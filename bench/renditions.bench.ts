/**
 * Renditions benchmark (npm run bench:renditions, which builds first). Not a test: it prints figures.
 *
 * BENCH_RENDITION_IMAGES (default 200) distinct generated 12 MP JPEGs, an API instance (MEDIAVAULT_ROLE=api, from
 * the sources) and a render worker (MEDIAVAULT_ROLE=worker, the built `dist/main.js`, as it runs in production)
 * sharing one database and bucket (the embedded S3 server in a process of its own), RENDITION_CONCURRENCY renders
 * at a time (default 2):
 * 1. direct: `renderFile` on the same bytes in a process of its own with the worker's allocator settings, as many at
 *    once as the worker renders (and again with the default allocator, for reference);
 * 2. through the queue: the images are uploaded (each upload queues its renditions; no worker runs yet), then the
 *    worker starts and renders the backlog, with nothing else going on: renditions per second from the first job
 *    it takes until all are ready, against (1) (target ratio >= 0.8); CPU time per image of each process;
 * 3. uploads of other images while the worker renders a second backlog, against as many uploaded while the same
 *    worker is stopped (SIGSTOP), in alternating rounds (target >= 0.9x): rendering must never block an upload;
 * 4. the worker's peak RSS through (2) and (3) (target <= 300 MB), with the Node options docs/renditions.md
 *    recommends for a worker-only instance (BENCH_WORKER_NODE_OPTIONS overrides them).
 *
 * Generating the images takes minutes: BENCH_PHOTO_CACHE=<directory> keeps them there for later runs.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import sharp from 'sharp';
import { sample } from '../test/support/metrics.js';
import { cpuMsOf, cpuMsOfCommand, rssOf, startBenchEnvironment, startBuiltWorker } from './bench-env.js';

const execFileAsync = promisify(execFile);
const IMAGES = Number(process.env.BENCH_RENDITION_IMAGES ?? 200);
const CONCURRENCY = Number(process.env.RENDITION_CONCURRENCY ?? 2);
/** Uploads of each kind: as many as the backlog, so a round (about 1.5 s) lasts well past the renders in hand. */
const UPLOADS = Math.max(4, IMAGES);
const PHOTO_CACHE = process.env.BENCH_PHOTO_CACHE;
/** Uploads with rendering off and on alternate this many times (each round: UPLOADS / ROUNDS of each). */
const ROUNDS = 4;
/**
 * The worker's Node options, as docs/renditions.md recommends for worker-only instances (a 4 MB young generation);
 * BENCH_WORKER_NODE_OPTIONS overrides them ('' for V8's defaults).
 */
const WORKER_NODE_OPTIONS = process.env.BENCH_WORKER_NODE_OPTIONS ?? '--max-semi-space-size=4';
/** glibc's allocator as the production image sets it (Dockerfile), unless this shell says otherwise. */
const PRODUCTION_MALLOC = {
  MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
  MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ ?? '131072',
};

/** A 4000×3000 JPEG with real texture (noise upscaled), different for every seed. */
async function photo(seed: number): Promise<Buffer> {
  const noise = await sharp({
    create: {
      width: 400,
      height: 300,
      channels: 3,
      background: '#000',
      noise: { type: 'gaussian', mean: 64 + (seed % 128), sigma: 40 },
    },
  })
    .png()
    .toBuffer();
  return sharp(noise).resize(4000, 3000, { kernel: 'cubic' }).jpeg({ quality: 85 }).toBuffer();
}

/** `photo(seed)`, read from BENCH_PHOTO_CACHE when an earlier run left it there. */
async function cachedPhoto(seed: number): Promise<Buffer> {
  if (!PHOTO_CACHE) return photo(seed);
  const path = join(PHOTO_CACHE, `photo-${seed}.jpg`);
  const cached = await readFile(path).catch(() => undefined);
  if (cached) return cached;
  const generated = await photo(seed);
  await mkdir(PHOTO_CACHE, { recursive: true });
  await writeFile(path, generated);
  return generated;
}

interface DirectRun {
  seconds: number;
  cpuMs: number;
}

async function renderDirectly(directory: string, env: Record<string, string>): Promise<DirectRun> {
  const { stdout } = await execFileAsync(
    process.execPath,
    ['--import', './test/support/register-ts.mjs', 'bench/render-direct.ts', directory, String(CONCURRENCY)],
    { env: { ...process.env, ...env } },
  );
  return JSON.parse(stdout) as DirectRun;
}

async function inParallel<T>(items: T[], lanes: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

async function uploadAll(url: string, token: string, images: Buffer[]): Promise<{ seconds: number; hashes: string[] }> {
  const started = performance.now();
  const hashes: string[] = [];
  await inParallel(images, 4, async (image) => {
    const form = new FormData();
    form.append('files', new Blob([image]), 'photo.jpg');
    const response = await fetch(`${url}/api/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    if (response.status !== 201) throw new Error(`upload answered ${response.status}`);
    hashes.push(createHash('sha256').update(image).digest('hex'));
  });
  return { seconds: (performance.now() - started) / 1000, hashes };
}

/** How many of these contents' rendition jobs are not finished yet; throws if any failed. */
async function unrendered(database: pg.Client, hashes: string[]): Promise<number> {
  const { rows } = await database.query<{ open: number; failed: number }>(
    `SELECT count(*) FILTER (WHERE status NOT IN ('ready', 'failed', 'unsupported'))::int AS open,
            count(*) FILTER (WHERE status = 'failed')::int AS failed
       FROM rendition_jobs WHERE hash = ANY($1)`,
    [hashes],
  );
  if (rows[0].failed > 0) throw new Error(`${rows[0].failed} render(s) failed`);
  return rows[0].open;
}

/** When the worker took its first job of `hashes` (polled), and its CPU time then. */
async function firstJobTaken(
  database: pg.Client,
  hashes: string[],
  workerCpuMs: () => number,
): Promise<{ at: number; workerCpuMs: number }> {
  for (;;) {
    const { rowCount } = await database.query(
      `SELECT 1 FROM rendition_jobs WHERE hash = ANY($1) AND status <> 'pending' LIMIT 1`,
      [hashes],
    );
    if (rowCount) return { at: performance.now(), workerCpuMs: workerCpuMs() };
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The worker's `mediavault_rendition_yield_seconds_total` so far. */
async function yieldSecondsOf(workerUrl: string): Promise<number> {
  const metrics = await (await fetch(`${workerUrl}/api/metrics`)).text();
  return sample(metrics, 'mediavault_rendition_yield_seconds_total') ?? 0;
}

async function renderedAll(database: pg.Client, hashes: string[]): Promise<void> {
  while ((await unrendered(database, hashes)) > 0) await new Promise((resolve) => setTimeout(resolve, 100));
}

async function main(): Promise<void> {
  console.log(`Generating ${IMAGES + 3 * UPLOADS} distinct 12 MP JPEGs...`);
  const images: Buffer[] = [];
  for (let seed = 0; seed < IMAGES + 3 * UPLOADS; seed += 1) images.push(await cachedPhoto(seed));
  const backlog = images.slice(0, IMAGES);
  const idleUploads = images.slice(IMAGES, IMAGES + UPLOADS);
  const secondBacklog = images.slice(IMAGES + UPLOADS, IMAGES + 2 * UPLOADS);
  const busyUploads = images.slice(IMAGES + 2 * UPLOADS);
  const mib = (list: Buffer[]) => list.reduce((sum, image) => sum + image.length, 0) / 1024 / 1024;

  // 1. Direct: `renderFile` in a process of its own, under the same allocator settings as the worker (they trade a
  // little CPU for memory, and the ratio is about the queue), and for reference under the default allocator.
  const directory = await mkdtemp(join(tmpdir(), 'mediavault-bench-render-'));
  let direct: DirectRun;
  let directDefaultAllocator: DirectRun;
  try {
    await Promise.all(backlog.map((image, index) => writeFile(join(directory, `${index}.jpg`), image)));
    direct = await renderDirectly(directory, PRODUCTION_MALLOC);
    directDefaultAllocator = await renderDirectly(directory, {});
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
  const directSeconds = direct.seconds;
  const directCpuMs = direct.cpuMs;

  // S3 in a process of its own, as a real S3 service is: not on the thread of this bench's upload clients.
  const environment = await startBenchEnvironment(
    { MEDIAVAULT_ROLE: 'api', ...PRODUCTION_MALLOC },
    { s3Process: true },
  );
  const s3Pid = environment.s3Pid!;
  const database = new pg.Client({ connectionString: environment.databaseUrl });
  await database.connect();
  let worker: Awaited<ReturnType<typeof startBuiltWorker>> | undefined;
  try {
    const { url } = environment.app;
    // Every upload queues its content's renditions; the API instance renders nothing, so they wait for the worker.
    const { hashes } = await uploadAll(url, environment.adminToken, backlog);

    // 2. The worker takes the backlog, alone: the same work as (1) plus what the queue adds. The clock starts when
    // it takes its first job (its start-up, about a second of loading modules, is timed apart) and stops when the
    // last rendition is recorded.
    const spawned = performance.now();
    let workerPid = 0;
    const taken = firstJobTaken(database, hashes, () => cpuMsOf(workerPid));
    worker = await startBuiltWorker(
      environment,
      { RENDITION_CONCURRENCY: String(CONCURRENCY), NODE_OPTIONS: WORKER_NODE_OPTIONS, ...PRODUCTION_MALLOC },
      (child) => (workerPid = child.pid!),
    );
    const baseline = rssOf(workerPid);
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, rssOf(workerPid))), 50);
    const first = await taken;
    const storageCpuBefore = cpuMsOf(s3Pid);
    await renderedAll(database, hashes);
    const queueSeconds = (performance.now() - first.at) / 1000;
    const queueYieldSeconds = await yieldSecondsOf(worker.url);
    const queueCpu = {
      worker: cpuMsOf(workerPid) - first.workerCpuMs,
      storage: cpuMsOf(s3Pid) - storageCpuBefore,
    };

    // 3. Uploads with rendering on and off, in alternating rounds so that a change in the machine's load affects
    // both alike: "off" is the worker stopped (SIGSTOP) with a backlog waiting, "on" is the same worker rendering it.
    const second = await uploadAll(url, environment.adminToken, secondBacklog);
    const queuedMeanwhile = [...second.hashes];
    const apiPid = environment.app.process.pid!;
    /** CPU time of each process the uploads involve, and of the worker, so far. */
    const cpuNow = () => ({
      api: cpuMsOf(apiPid),
      storage: cpuMsOf(s3Pid),
      database: cpuMsOfCommand('postgres'),
      worker: cpuMsOf(workerPid),
    });
    type CpuSpent = ReturnType<typeof cpuNow>;
    const addSpent = (total: CpuSpent, before: CpuSpent) => {
      const after = cpuNow();
      for (const name of Object.keys(total) as Array<keyof CpuSpent>) total[name] += after[name] - before[name];
    };
    const noCpu = (): CpuSpent => ({ api: 0, storage: 0, database: 0, worker: 0 });
    const idle = { seconds: 0, bytes: 0, cpu: noCpu() };
    const busy = { seconds: 0, bytes: 0, cpu: noCpu() };
    const perRound = Math.ceil(UPLOADS / ROUNDS);
    const roundRatios: string[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const slice = (list: Buffer[]) => list.slice(round * perRound, (round + 1) * perRound);
      worker.process.kill('SIGSTOP');
      let before = cpuNow();
      const off = await uploadAll(url, environment.adminToken, slice(idleUploads));
      addSpent(idle.cpu, before);
      worker.process.kill('SIGCONT');
      await new Promise((resolve) => setTimeout(resolve, 500)); // the worker back at full speed
      before = cpuNow();
      const on = await uploadAll(url, environment.adminToken, slice(busyUploads));
      addSpent(busy.cpu, before);
      queuedMeanwhile.push(...off.hashes, ...on.hashes);
      roundRatios.push((off.seconds / on.seconds).toFixed(2));
      idle.seconds += off.seconds;
      idle.bytes += mib(slice(idleUploads));
      busy.seconds += on.seconds;
      busy.bytes += mib(slice(busyUploads));
    }
    const stillQueued = await unrendered(database, second.hashes);
    const yieldedSeconds = await yieldSecondsOf(worker.url);
    await renderedAll(database, queuedMeanwhile);
    clearInterval(sampler);

    const directRate = IMAGES / directSeconds;
    const queueRate = IMAGES / queueSeconds;
    const idleRate = idle.bytes / idle.seconds;
    const busyRate = busy.bytes / busy.seconds;
    const perImage = (ms: number) => `${(ms / IMAGES).toFixed(0)} ms`;
    console.log(
      `\n# Renditions benchmark (${IMAGES} 12 MP JPEGs, ${CONCURRENCY} at a time, embedded S3 in its own process)`,
    );
    console.log(`direct renderFile:        ${directRate.toFixed(2)} images/s (${directSeconds.toFixed(1)} s)`);
    console.log(
      `  (default allocator:     ${(IMAGES / directDefaultAllocator.seconds).toFixed(2)} images/s, ` +
        `${perImage(directDefaultAllocator.cpuMs)} CPU per image)`,
    );
    console.log(
      `through the queue:        ${queueRate.toFixed(2)} images/s (${queueSeconds.toFixed(1)} s from the first job ` +
        `taken; worker start-up ${((first.at - spawned) / 1000).toFixed(1)} s before it)`,
    );
    console.log(`ratio:                    ${(queueRate / directRate).toFixed(2)} (target >= 0.80)`);
    console.log(`  (renders waited ${queueYieldSeconds.toFixed(1)} s for requests meanwhile: none were made)`);
    console.log(
      `CPU per image:            direct ${perImage(directCpuMs)}; queue: worker ${perImage(queueCpu.worker)}, ` +
        `S3 server ${perImage(queueCpu.storage)}`,
    );
    console.log(
      `uploads, worker stopped:  ${idleRate.toFixed(1)} MiB/s (${UPLOADS} files in ${ROUNDS} rounds, ` +
        `${idle.seconds.toFixed(1)} s)`,
    );
    console.log(
      `uploads, worker busy:     ${busyRate.toFixed(1)} MiB/s (${UPLOADS} files in ${ROUNDS} rounds, ` +
        `${busy.seconds.toFixed(1)} s)`,
    );
    console.log(
      `upload ratio:             ${(busyRate / idleRate).toFixed(2)} (target >= 0.90; rounds ${roundRatios.join(' ')})`,
    );
    // Where the CPU went in each kind of round, per MiB uploaded: the uploads' own processes should cost the same in
    // both; the worker's share is what rendering took from them. (The embedded S3 server is one thread: near 100 %
    // of a core, it would be what the uploads wait for.)
    const perMiB = (run: { bytes: number; cpu: CpuSpent }) =>
      `API ${(run.cpu.api / run.bytes).toFixed(1)}, S3 server ${(run.cpu.storage / run.bytes).toFixed(1)}, ` +
      `PostgreSQL ${(run.cpu.database / run.bytes).toFixed(1)}, worker ${(run.cpu.worker / run.bytes).toFixed(1)}`;
    console.log(`  (CPU ms per MiB uploaded, worker stopped: ${perMiB(idle)})`);
    console.log(`  (CPU ms per MiB uploaded, worker busy:    ${perMiB(busy)})`);
    const share = (run: { seconds: number; cpu: CpuSpent }) =>
      `${((run.cpu.storage / 10 / run.seconds) | 0).toString()} %`;
    console.log(`  (S3 server busy: ${share(idle)} of a core with the worker stopped, ${share(busy)} rendering)`);
    console.log(`  (the worker still had ${stillQueued} of its second backlog to render when those uploads ended)`);
    console.log(
      `  (renders waited ${(yieldedSeconds - queueYieldSeconds).toFixed(1)} s for the uploads to leave the CPU, ` +
        'the time the worker was stopped included)',
    );
    const megabytes = (bytes: number) => (bytes / 1048576).toFixed(0);
    console.log(
      `worker RSS:               ${megabytes(baseline)} MB once started, peak ${megabytes(peak)} MB ` +
        `(target <= 300 MB; NODE_OPTIONS=${WORKER_NODE_OPTIONS || '(none)'})`,
    );
  } finally {
    await database.end();
    worker?.process.kill('SIGCONT'); // a stopped process would not act on the SIGTERM
    await worker?.kill('SIGTERM');
    await environment.stop();
  }
}

await main();
