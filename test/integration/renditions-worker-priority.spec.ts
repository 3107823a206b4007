/**
 * A worker-only instance renders at a lower CPU priority (RENDITION_WORKER_NICE), every thread of it, so API
 * instances on the same host come first; an instance that also serves requests keeps the normal priority.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { testAppEnv, useTestApp } from '../support/app.js';
import { startChildApp } from '../support/child-app.js';

/** The nice value of each thread of a process (field 19 of /proc/<pid>/task/<tid>/stat; Linux, as CI). */
function threadNiceness(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((thread) => {
    const fields = readFileSync(`/proc/${pid}/task/${thread}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(fields[16]);
  });
}

describe('the CPU priority of a rendering instance', () => {
  const t = useTestApp();

  it.each([
    ['worker', '10', 10],
    ['worker', '0', 0],
    ['all', '10', 0],
    ['worker', undefined, 19],
  ])('MEDIAVAULT_ROLE=%s with RENDITION_WORKER_NICE=%s runs every thread at nice %d', async (role, nice, expected) => {
    const env = testAppEnv({ databaseUrl: t.databaseUrl, bucket: t.bucket, env: { MEDIAVAULT_ROLE: role } });
    // Undefined: the default, so the test harness's own RENDITION_WORKER_NICE=0 goes too.
    if (nice === undefined) delete env.RENDITION_WORKER_NICE;
    else env.RENDITION_WORKER_NICE = nice;
    const child = await startChildApp(env);
    try {
      const niceness = threadNiceness(child.process.pid!);
      expect(niceness.length).toBeGreaterThan(1);
      expect(new Set(niceness)).toEqual(new Set([expected]));
    } finally {
      await child.kill('SIGTERM');
    }
  });
});
