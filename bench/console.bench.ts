/**
 * Web console budget (not a test): `npm run bench:console`, against a running server with a built console.
 *
 *   BENCH_URL (default http://localhost:3000), BENCH_EMAIL / BENCH_PASSWORD (an admin; default ADMIN_EMAIL /
 *   ADMIN_PASSWORD), BENCH_RUNS (default 5)
 *
 * 1. Initial JavaScript: the script and module preloads index.html loads, gzipped (level 9), from dist/web.
 * 2. Library of 60 files: seeds image files (approved through the API) until the library has 60, then loads the
 *    library in headless Chromium (the @sparticuz/chromium binary) BENCH_RUNS times and measures, in the page, from
 *    the end of the `GET /api/files` answer (Resource Timing `responseEnd`) to the first moment after the 60 items
 *    are in the DOM when a frame has been produced and a new task runs (requestAnimationFrame, then setTimeout 0):
 *    the page can respond to input from then on.
 * 3. Hashing in the browser: a BENCH_HASH_MIB (default 1024) MiB file goes through the console's hashing worker (the
 *    built hash.worker asset); measured: time, throughput, the longest main-thread task meanwhile (Long Tasks API)
 *    and the peak resident memory of all Chromium processes over the baseline (polled with ps).
 * Writes docs/benchmarks/console.md.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { ElementHandle, Page } from 'puppeteer-core';
import { launchBrowser } from '../test/support/browser.js';
import { solidPng } from '../test/support/media.js';

const BASE = process.env.BENCH_URL ?? 'http://localhost:3000';
const EMAIL = process.env.BENCH_EMAIL ?? process.env.ADMIN_EMAIL ?? 'admin@localhost';
const PASSWORD = process.env.BENCH_PASSWORD ?? process.env.ADMIN_PASSWORD ?? '';
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const ITEMS = 60;
const HASH_MIB = Number(process.env.BENCH_HASH_MIB ?? 1024);
const root = fileURLToPath(new URL('..', import.meta.url));

/** A 32×32 PNG whose colour spells `seed`, so each upload is new content. */
function distinctPng(seed: number): Buffer {
  return solidPng(32, [seed % 256, Math.floor(seed / 256) % 256, Math.floor(seed / 65_536) % 256]);
}

async function api<T>(path: string, init: RequestInit & { token?: string } = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('Authorization', `Bearer ${init.token}`);
  const response = await fetch(BASE + path, { ...init, headers });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

function initialJavaScript(): { files: string[]; raw: number; gzip: number; lazy: number } {
  const directory = join(root, 'dist', 'web');
  const html = readFileSync(join(directory, 'index.html'), 'utf8');
  const files = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((match) => match[1]);
  const sizes = files.map((file) => readFileSync(join(directory, file)));
  const lazy = readdirSync(join(directory, 'assets'))
    .filter((file) => file.endsWith('.js') && !files.includes(`assets/${file}`))
    .reduce((sum, file) => sum + gzipSync(readFileSync(join(directory, 'assets', file)), { level: 9 }).length, 0);
  return {
    files,
    raw: sizes.reduce((sum, bytes) => sum + bytes.length, 0),
    gzip: sizes.reduce((sum, bytes) => sum + gzipSync(bytes, { level: 9 }).length, 0),
    lazy,
  };
}

async function main(): Promise<void> {
  const js = initialJavaScript();
  const { accessToken: token } = await api<{ accessToken: string }>('/api/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
  });
  const listed = await api<{ count: number }>('/api/files?pageSize=1', { token });
  for (let seed = listed.count; seed < ITEMS; seed += 1) {
    const form = new FormData();
    form.append('files', new Blob([distinctPng(seed + Date.now())]), `bench-${seed}.png`);
    const uploaded = await api<{ results: { pendingFile?: { id: string } }[] }>('/api/uploads', {
      method: 'POST',
      body: form,
      token,
    });
    const id = uploaded.results[0]?.pendingFile?.id;
    if (!id) continue;
    await api(`/api/pending/${id}/approve`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: `Bench picture ${seed}` }),
      token,
    });
  }

  // The grid shows thumbnails once they are rendered: wait for them, so the page loads real images.
  type Listed = { results: { renditions: { status: string }; urls: { thumbnail?: string } }[] };
  for (const deadline = Date.now() + 120_000; ;) {
    const { results } = await api<Listed>(`/api/files?pageSize=${ITEMS}`, { token });
    if (results.every((item) => item.renditions.status !== 'pending')) break;
    if (Date.now() > deadline) throw new Error('the thumbnails were not rendered within two minutes');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const { results } = await api<Listed>(`/api/files?pageSize=${ITEMS}`, { token });
  const withThumbnail = results.filter((item) => item.urls.thumbnail).length;

  const browser = await launchBrowser();
  const timings: number[] = [];
  let hashing: { seconds: number; longestTaskMs: number; peakMiB: number; matches: boolean } | undefined;
  try {
    const page = await browser.newPage();
    // In-page code as a string: the project's TypeScript has no DOM types outside web/.
    await page.evaluateOnNewDocument(`
      const state = (window.__bench = {});
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          if (state.apiEnd === undefined && /\\/api\\/files\\?/.test(entry.name)) state.apiEnd = entry.responseEnd;
        }
      }).observe({ type: 'resource', buffered: true });
      const observer = new MutationObserver(() => {
        if (document.querySelectorAll('ul[aria-label="Files"] > li').length < ${ITEMS}) return;
        observer.disconnect();
        requestAnimationFrame(() => setTimeout(() => (state.interactive = performance.now())));
      });
      observer.observe(document, { subtree: true, childList: true });
    `);
    await page.goto(BASE + '/');
    await (await page.waitForSelector('::-p-aria([name="Email"][role="textbox"])'))!.type(EMAIL);
    await (await page.waitForSelector('::-p-aria([name="Password"][role="textbox"])'))!.type(PASSWORD);
    await (await page.waitForSelector('::-p-aria([name="Sign in"][role="button"])'))!.click();
    for (let run = 0; run < RUNS; run += 1) {
      // A reload resumes the session from the refresh token and loads the library from scratch.
      if (run > 0) await page.reload();
      await page.waitForFunction('window.__bench.interactive', { timeout: 30_000 });
      const state = (await page.evaluate('window.__bench')) as { interactive: number; apiEnd: number };
      timings.push(state.interactive - state.apiEnd);
    }
    hashing = await measureHashing(page, browser.process()?.pid);
  } finally {
    await browser.close();
  }

  const sorted = [...timings].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  const hashRows = hashing
    ? [
        `| SHA-256 of a ${HASH_MIB} MiB file in the hashing worker | – | ${hashing.seconds.toFixed(1)} s ` +
          `(${(HASH_MIB / hashing.seconds).toFixed(0)} MiB/s), ` +
          `hash ${hashing.matches ? 'equal to' : 'DIFFERENT from'} Node's |`,
        `| longest main-thread task while hashing | < 50 ms (no long task) | ${hashing.longestTaskMs.toFixed(0)} ms |`,
        `| Chromium's resident memory while hashing, peak over before | far below the file size | ` +
          `+${hashing.peakMiB.toFixed(0)} MiB |`,
      ]
    : [];
  const report = [
    '# Web console budget',
    '',
    `Measured by \`npm run bench:console\` on ${new Date().toISOString().slice(0, 10)}, ${cpus().length} CPU cores ` +
      `(${cpus()[0]?.model.trim() ?? 'unknown'}, shared with other work), headless Chromium from @sparticuz/chromium.`,
    '',
    '| figure | budget | measured |',
    '|---|---|---|',
    `| initial JavaScript, gzipped (${js.files.join(', ')}) | ≤ 200 KB | ${kb(js.gzip)} (${kb(js.raw)} raw) |`,
    `| other pages and the hashing worker, gzipped, loaded on first use | – | ${kb(js.lazy)} |`,
    `| library of ${ITEMS} files: API answer → interactive, median of ${RUNS} | ≤ 1000 ms | ` +
      `${median.toFixed(0)} ms (all: ${timings.map((ms) => ms.toFixed(0)).join(', ')}) |`,
    ...hashRows,
    '',
    `"Interactive": the ${ITEMS} items are in the DOM, a frame was produced and a new task ran (the main thread is ` +
      `free for input). ${withThumbnail} of the ${ITEMS} files had a rendered thumbnail, loaded by the browser ` +
      'from its signed URL (the grid shows the blur-up placeholder until it arrives).',
    'Hashing reads 8 MiB slices in a Web Worker: the page keeps running (no long task on the main thread) and ' +
      'memory stays flat whatever the file size.',
    '',
  ].join('\n');
  writeFileSync(join(root, 'docs', 'benchmarks', 'console.md'), report);
  console.log(report);
}

/** Sum of the resident memory (KiB) of a process and all its descendants. */
function treeRssKiB(rootPid: number): number {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,rss='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number));
  const inTree = new Set([rootPid]);
  for (let grown = true; grown;) {
    grown = false;
    for (const [pid, ppid] of rows) {
      if (inTree.has(ppid) && !inTree.has(pid)) grown = inTree.add(pid).size > 0;
    }
  }
  return rows.filter(([pid]) => inTree.has(pid)).reduce((sum, [, , rss]) => sum + rss, 0);
}

async function measureHashing(page: Page, browserPid: number | undefined) {
  const worker = readdirSync(join(root, 'dist', 'web', 'assets')).find((file) => /^hash\.worker-.*\.js$/.test(file));
  if (!worker || !browserPid) return undefined;
  // A sparse file: as many bytes to read and hash, none to write.
  const path = join(tmpdir(), `mediavault-hash-bench-${process.pid}.bin`);
  writeFileSync(path, '');
  truncateSync(path, HASH_MIB * 1024 * 1024);
  try {
    const expected = createHash('sha256');
    for await (const chunk of createReadStream(path)) expected.update(chunk as Buffer);
    await page.evaluate(`{
      const input = document.createElement('input');
      input.type = 'file';
      input.id = 'bench-file';
      document.body.append(input);
    }`);
    const input = await page.waitForSelector('#bench-file');
    await (input as ElementHandle<never>).uploadFile(path);
    const baseline = treeRssKiB(browserPid);
    let peak = baseline;
    const poll = setInterval(() => (peak = Math.max(peak, treeRssKiB(browserPid))), 200);
    const result = (await page.evaluate(`new Promise((resolve, reject) => {
      const file = document.getElementById('bench-file').files[0];
      let longest = 0;
      const observer = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) longest = Math.max(longest, entry.duration);
      });
      observer.observe({ type: 'longtask' });
      const worker = new Worker('/assets/${worker}', { type: 'module' });
      const started = performance.now();
      worker.onmessage = (event) => {
        if (event.data.type === 'progress') return;
        observer.disconnect();
        worker.terminate();
        if (event.data.type === 'done') resolve({ ms: performance.now() - started, hash: event.data.hash, longest });
        else reject(new Error(event.data.message));
      };
      worker.postMessage({ id: 1, file });
    })`)) as { ms: number; hash: string; longest: number };
    clearInterval(poll);
    return {
      seconds: result.ms / 1000,
      longestTaskMs: result.longest,
      peakMiB: (peak - baseline) / 1024,
      matches: result.hash === expected.digest('hex'),
    };
  } finally {
    rmSync(path, { force: true });
  }
}

await main();
