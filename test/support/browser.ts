/**
 * Browser specs (test/browser/): the built console in a real headless Chromium against the real server.
 *
 * - The Chromium binary ships inside the `@sparticuz/chromium` npm package (no download at install or test time);
 *   it is unpacked under the system temp directory on first use.
 * - The console is built (Vite) when dist/web is missing or older than web/, so `npm ci && npm test` works.
 * - Elements are found by role and accessible name, as UI.md promises them (puppeteer's ARIA queries).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import chromium from '@sparticuz/chromium';
import puppeteer, { type Browser, type ElementHandle, type Page } from 'puppeteer-core';
import { waitUntil as waitUntilSettled } from './wait.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONSOLE_DIRECTORY = join(ROOT, 'dist', 'web');
/** Generous for a cold build on a busy machine; a wait that ends sooner is a pass, never a timing assertion. */
const WAIT_MS = 20_000;

/** Runs `work` while holding a lock directory, so parallel Jest workers build and unpack only once. */
async function withLock<T>(name: string, work: () => T | Promise<T>): Promise<T> {
  const lock = join(ROOT, 'dist', `.${name}.lock`);
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (lockOwnerGone(lock)) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`${lock} is held for too long`, { cause: error });
      else await new Promise((done) => setTimeout(done, 200));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function lockOwnerGone(lock: string): boolean {
  try {
    process.kill(Number(readFileSync(join(lock, 'pid'), 'utf8')), 0);
    return false;
  } catch (error) {
    // No pid file yet (its owner is between mkdir and write) counts as held.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function newestMtime(path: string): number {
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return Math.max(stats.mtimeMs, ...readdirSync(path).map((entry) => newestMtime(join(path, entry))));
}

/** Builds the console (Vite only: type checking is `npm run typecheck`'s job) unless dist/web is up to date. */
export async function ensureConsoleBuilt(): Promise<string> {
  const index = join(CONSOLE_DIRECTORY, 'index.html');
  const stale = () =>
    !existsSync(index) ||
    statSync(index).mtimeMs <
      Math.max(newestMtime(join(ROOT, 'web')), statSync(join(ROOT, 'package-lock.json')).mtimeMs);
  if (!stale()) return CONSOLE_DIRECTORY;
  await withLock('web-build', () => {
    if (!stale()) return;
    const vite = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
    const build = spawnSync(
      process.execPath,
      [vite, 'build', '--config', 'web/vite.config.mjs', '--logLevel', 'warn'],
      // Jest sets NODE_ENV=test, with which Vite would bundle React's development build.
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' } },
    );
    if (build.status !== 0) throw new Error(`building the console failed:\n${build.stdout}\n${build.stderr}`);
  });
  return CONSOLE_DIRECTORY;
}

export async function launchBrowser(): Promise<Browser> {
  const executablePath = await withLock('chromium', () => chromium.executablePath());
  return puppeteer.launch({
    executablePath,
    headless: true,
    // @sparticuz/chromium's flags (no sandbox, which running as root needs; software GL), except two: web security
    // stays on (the console must work under the same-origin policy and its CSP), and no --single-process, with
    // which Chromium crashes when a second browser context opens a page.
    args: chromium.args.filter((flag) => flag !== '--disable-web-security' && flag !== '--single-process'),
    defaultViewport: { width: 1280, height: 900 },
  });
}

/** `::-p-aria` selector for a role and an exact accessible name. */
export function aria(role: string, name?: string): string {
  return name === undefined
    ? `::-p-aria([role="${role}"])`
    : `::-p-aria([name="${name.replace(/"/g, '\\"')}"][role="${role}"])`;
}

type Scope = Page | ElementHandle;

export async function byRole(scope: Scope, role: string, name?: string): Promise<ElementHandle> {
  const found = await scope.waitForSelector(aria(role, name), { timeout: WAIT_MS });
  if (!found) throw new Error(`no ${role} named ${name}`);
  return found as ElementHandle;
}

export async function allByRole(scope: Scope, role: string, name?: string): Promise<ElementHandle[]> {
  return (await scope.$$(aria(role, name))) as ElementHandle[];
}

/** Polls `probe` until it answers something other than undefined/false (a page still rendering may throw meanwhile). */
export function waitUntil<T>(what: string, probe: () => Promise<T | undefined | false>): Promise<T> {
  return waitUntilSettled(what, probe, { timeoutMs: WAIT_MS, retryOnError: true });
}

export function textOf(element: ElementHandle): Promise<string> {
  return element.evaluate((node) => (node.textContent ?? '').replace(/\s+/g, ' ').trim());
}

/** The list item (or row) whose text contains `text`. */
export function itemWith(scope: Scope, text: string, role = 'listitem'): Promise<ElementHandle> {
  return waitUntil(`a ${role} containing "${text}"`, async () => {
    for (const item of await allByRole(scope, role)) if ((await textOf(item)).includes(text)) return item;
    return undefined;
  });
}

/** The names of the links in the list items of the list named `listName`. */
export async function linkNamesIn(page: Page, listName: string): Promise<string[]> {
  const list = await byRole(page, 'list', listName);
  const names: string[] = [];
  for (const item of await allByRole(list, 'listitem')) {
    for (const link of await allByRole(item, 'link')) names.push(await textOf(link));
  }
  return names;
}

/** Text of every element with role=alert on the page. */
export async function alerts(page: Page): Promise<string[]> {
  return Promise.all((await allByRole(page, 'alert')).map(textOf));
}

/**
 * The file input by its label. Chromium's accessibility query does not find `<input type=file>` (its button
 * lives in a user-agent shadow tree), so this one walks the accessibility tree instead: still role + name.
 */
export async function fileInput(page: Page, name: string): Promise<ElementHandle> {
  return waitUntil(`a file input named "${name}"`, async () => {
    type Node = { role: string; name?: string; children?: Node[]; elementHandle(): Promise<ElementHandle | null> };
    const snapshot: Node | null = await page.accessibility.snapshot({ interestingOnly: false });
    const find = (node: Node): Node | undefined =>
      node.role === 'button' && node.name === name ? node : node.children?.map(find).find(Boolean);
    const node = snapshot && find(snapshot);
    return node ? ((await node.elementHandle()) as ElementHandle) : undefined;
  });
}

export async function fill(element: ElementHandle, value: string): Promise<void> {
  await element.evaluate((node) => (node as unknown as { select(): void }).select());
  await element.type(value);
}

export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await fill(await byRole(page, 'textbox', 'Email'), email);
  await fill(await byRole(page, 'textbox', 'Password'), password);
  await (await byRole(page, 'button', 'Sign in')).click();
}

export async function go(page: Page, linkName: string): Promise<void> {
  const nav = await byRole(page, 'navigation', 'Main');
  await (await byRole(nav, 'link', linkName)).click();
  await byRole(page, 'heading', linkName);
}
