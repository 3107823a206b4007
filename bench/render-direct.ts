/**
 * Direct rendering for the renditions benchmark, in a process of its own so it can run under the worker's
 * environment (allocator settings): `render-direct.ts <directory> <lanes>` renders every file of the directory with
 * `renderFile`, `lanes` at a time, and prints one JSON line `{ seconds, cpuMs }`.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_RENDER_LIMITS, renderFile } from '../src/renditions/generation/render-file.js';

const [directory, lanes] = process.argv.slice(2);
const paths = (await readdir(directory)).map((name) => join(directory, name));
let next = 0;
const cpuBefore = process.cpuUsage();
const started = performance.now();
await Promise.all(
  Array.from({ length: Number(lanes) }, async () => {
    while (next < paths.length) {
      const outcome = await renderFile(paths[next++], DEFAULT_RENDER_LIMITS);
      if (outcome.status !== 'ready') throw new Error(`not rendered: ${paths[next - 1]}`);
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
process.stdout.write(`${JSON.stringify({ seconds, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
