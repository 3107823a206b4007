/**
 * Jest global setup: starts the servers the whole run shares (see test-servers.ts) and keeps the handle for
 * global-teardown.ts on globalThis (Jest runs both in its main process).
 *
 * Jest loads this file through `require` after a CommonJS transform without moduleNameMapper, so the project's
 * TypeScript (which uses `import.meta`, `.js` specifiers and dynamic imports of migrations) is loaded natively
 * instead, through the module hooks in typescript-loader.mjs. Hence: only `import type` from project files here.
 */
import { register } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TestRun } from './test-servers.js';

const TEST_RUN = Symbol.for('mediavault.testRun');

export default async function globalSetup(_globalConfig: unknown, projectConfig: { rootDir: string }): Promise<void> {
  const { rootDir } = projectConfig;
  register(pathToFileURL(join(rootDir, 'test', 'support', 'typescript-loader.mjs')).href);
  // `new Function` so that the CommonJS transform leaves a real dynamic import rather than a `require`.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- a constant body, and the only way to do that
  const nativeImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;
  const servers = (await nativeImport(pathToFileURL(join(rootDir, 'test', 'support', 'test-servers.ts')).href)) as {
    startTestRun(): Promise<TestRun>;
  };
  (globalThis as Record<symbol, unknown>)[TEST_RUN] = await servers.startTestRun();
}
