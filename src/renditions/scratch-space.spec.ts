import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeAbandonedScratch, scratchDirectory } from './scratch-space.js';

describe('render scratch space', () => {
  let root: string;
  beforeEach(async () => (root = await mkdtemp(join(tmpdir(), 'mv-scratch-root-'))));
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('removes what dead workers left and keeps what live ones use', async () => {
    // A pid that surely ended: a child that ran and exited.
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const debris = join(root, `mediavault-render-${dead}-abc123`);
    await mkdir(debris);
    await writeFile(join(debris, 'source'), 'half a video');
    const mine = await scratchDirectory(root);
    const stale = join(root, `mediavault-render-${process.pid}-old000`);
    await mkdir(stale);
    const twoDaysAgo = new Date(Date.now() - 48 * 3600_000);
    await utimes(stale, twoDaysAgo, twoDaysAgo);
    await mkdir(join(root, 'someone-else'));

    await expect(removeAbandonedScratch(root)).resolves.toBe(2);

    expect((await readdir(root)).sort()).toEqual([mine.slice(root.length + 1), 'someone-else'].sort());
  });
});
