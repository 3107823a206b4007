/**
 * Jest global teardown: stops the servers global setup started and removes the run's temporary directory. It
 * prints nothing, so the summary reporter's line stays the last line of the output.
 *
 * Jest runs no teardown when it is killed (SIGKILL, a CI timeout): then the embedded PostgreSQL's watchdog shuts
 * the server down within about a second, the in-process S3 server dies with Jest, and the next run's global
 * setup removes the abandoned directory. A failing global setup cleans up after itself (Jest skips teardown then).
 */
import type { TestRun } from './test-servers.js';

const TEST_RUN = Symbol.for('mediavault.testRun');

export default async function globalTeardown(): Promise<void> {
  const run = (globalThis as Record<symbol, unknown>)[TEST_RUN] as TestRun | undefined;
  delete (globalThis as Record<symbol, unknown>)[TEST_RUN];
  await run?.stop();
}
