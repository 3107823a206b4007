import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive } from '../common/processes.js';

const PREFIX = 'mediavault-render-';

/** Older than this, a scratch directory is debris even if its pid is alive again (reused, or pid 1 restarted). */
const ABANDONED_AFTER_MS = 24 * 3600_000;

/** A private directory for one render's source copy, named after this process so debris can be told apart. */
export function scratchDirectory(root = tmpdir()): Promise<string> {
  return mkdtemp(join(root, `${PREFIX}${process.pid}-`));
}

/**
 * Removes scratch directories that a killed worker left behind (a SIGKILL skips every `finally`): those of
 * processes that no longer exist, and any older than a day. Answers how many were removed.
 */
export async function removeAbandonedScratch(root = tmpdir()): Promise<number> {
  let removed = 0;
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const match = name.startsWith(PREFIX) ? /^(\d+)-/.exec(name.slice(PREFIX.length)) : null;
    if (!match) continue;
    const path = join(root, name);
    const info = await stat(path).catch(() => null);
    if (!info?.isDirectory()) continue;
    const abandoned = !isProcessAlive(Number(match[1])) || Date.now() - info.mtimeMs > ABANDONED_AFTER_MS;
    if (!abandoned) continue;
    await rm(path, { recursive: true, force: true });
    removed += 1;
  }
  return removed;
}
