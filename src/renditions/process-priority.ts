import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * Lowers this whole process's CPU priority to `nice` (0-19), so that on a shared host request handling comes before
 * rendering. On Linux every thread has its own nice value and a new thread inherits its creator's, so each existing
 * thread (the main one, libuv's pool that runs sharp, V8's helpers) is lowered; threads started later (libvips',
 * pdf.js's worker) follow. Lowering needs no privilege. Answers how many threads were lowered.
 */
export function lowerProcessPriority(nice: number): number {
  const threads = process.platform === 'linux' ? readdirSync('/proc/self/task').map(Number) : [process.pid];
  let lowered = 0;
  for (const thread of threads) {
    try {
      setPriority(thread, nice);
      lowered += 1;
    } catch {
      // The thread ended meanwhile.
    }
  }
  return lowered;
}
