/**
 * The screenshots of the web console in docs/screenshots (`npm run screenshots:console`; not a test).
 *
 * Starts its own server (embedded PostgreSQL and S3 server in a temp directory, as the benchmarks do) with the built
 * console, fills it with a small demo library through the API (pictures, a video, a sound, a PDF, tags, collections,
 * a member, pending uploads, a trashed file), waits until the background renditions gave every picture its
 * thumbnail, then visits each page in headless Chromium and saves it. Output: SCREENSHOTS_DIR (default
 * docs/screenshots).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'puppeteer-core';
import sharp from 'sharp';
import { startBenchEnvironment } from '../bench/bench-env.js';
import {
  allByRole,
  byRole,
  ensureConsoleBuilt,
  fileInput,
  go,
  itemWith,
  launchBrowser,
  signIn,
  textOf,
  waitUntil,
} from '../test/support/browser.js';
import { testAudio, testPdf, testVideo } from '../test/support/media.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const output = process.env.SCREENSHOTS_DIR ?? join(root, 'docs', 'screenshots');
const MEMBER = { email: 'robin@example.com', password: 'robin-member-password' };
/** The admin a fresh start creates (the benchmark environment's own admin has a longer name). */
const CONSOLE_ADMIN = { email: 'admin@localhost', password: 'console-admin-password' };

/** A small landscape: a sky gradient, a sun and the ground, in the given colours. */
function sceneJpeg(sky: [string, string], sun: string, ground: string): Promise<Buffer> {
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600"><defs><linearGradient id="s" x1="0" y1="0" ` +
    `x2="0" y2="1"><stop offset="0" stop-color="${sky[0]}"/><stop offset="1" stop-color="${sky[1]}"/>` +
    `</linearGradient></defs><rect width="800" height="600" fill="url(#s)"/><circle cx="560" cy="250" r="80" ` +
    `fill="${sun}"/><path d="M0 420 Q200 360 400 420 T800 410 V600 H0 Z" fill="${ground}"/></svg>`;
  return sharp(Buffer.from(svg)).jpeg().toBuffer();
}

const PICTURES: Array<{ file: string; title: string; colours: [[string, string], string, string]; tags: string[] }> = [
  {
    file: 'harbour-dawn.jpg',
    title: 'Harbour at dawn',
    colours: [['#f6d365', '#fda085'], '#fff3b0', '#2d4059'],
    tags: ['Travel'],
  },
  {
    file: 'alpine-lake.jpg',
    title: 'Alpine lake',
    colours: [['#89f7fe', '#66a6ff'], '#ffffff', '#2f6b3a'],
    tags: ['Nature'],
  },
  {
    file: 'desert-noon.jpg',
    title: 'Desert at noon',
    colours: [['#fceabb', '#f8b500'], '#fff8e1', '#c97b3a'],
    tags: ['Nature', 'Travel'],
  },
  {
    file: 'night-city.jpg',
    title: 'City by night',
    colours: [['#0f2027', '#2c5364'], '#f5f5dc', '#111111'],
    tags: ['Travel'],
  },
  {
    file: 'spring-meadow.jpg',
    title: 'Spring meadow',
    colours: [['#d4fc79', '#96e6a1'], '#fffde7', '#3f8f3f'],
    tags: ['Nature'],
  },
  {
    file: 'sunset-coast.jpg',
    title: 'Sunset over the coast',
    colours: [['#ff7e5f', '#feb47b'], '#ffe29f', '#355c7d'],
    tags: ['Nature', 'Travel'],
  },
];

async function main(): Promise<void> {
  const consoleDirectory = await ensureConsoleBuilt();
  console.log(`console: ${consoleDirectory}`);
  const environment = await startBenchEnvironment({ SCHEDULED_JOBS_ENABLED: 'true' });
  const base = environment.app.url;
  const files = mkdtempSync(join(tmpdir(), 'mediavault-screenshots-'));
  const browser = await launchBrowser();
  try {
    const admin = `Bearer ${environment.adminToken}`;
    const call = async <T>(method: string, path: string, body?: unknown, auth = admin): Promise<T> => {
      const response = await fetch(base + path, {
        method,
        headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return (response.status === 204 ? undefined : await response.json()) as T;
    };
    const upload = async (name: string, bytes: Buffer, auth = admin): Promise<string> => {
      const form = new FormData();
      form.append('files', new Blob([new Uint8Array(bytes)]), name);
      const response = await fetch(`${base}/api/uploads`, {
        method: 'POST',
        headers: { authorization: auth },
        body: form,
      });
      const answer = (await response.json()) as { results: Array<{ pendingFile?: { id: string } }> };
      return answer.results[0].pendingFile!.id;
    };

    const tags = new Map<string, string>();
    for (const name of ['Nature', 'Travel', 'Brand'])
      tags.set(name, (await call<{ id: string }>('POST', '/api/tags', { name })).id);
    const collections = new Map<string, string>();
    for (const title of ['Spring campaign', 'Brand assets'])
      collections.set(title, (await call<{ id: string }>('POST', '/api/collections', { title })).id);
    await call('POST', '/api/users', { ...MEMBER, role: 'member' });
    await call('POST', '/api/users', { ...CONSOLE_ADMIN, role: 'admin' });
    const login = await call<{ accessToken: string }>('POST', '/api/auth/login', MEMBER, '');
    const member = `Bearer ${login.accessToken}`;

    for (const picture of PICTURES) {
      const id = await upload(picture.file, await sceneJpeg(...picture.colours));
      await call('POST', `/api/pending/${id}/approve`, {
        title: picture.title,
        accessLevel: 'members',
        tagIds: picture.tags.map((name) => tags.get(name)),
        collectionIds: picture.title.includes('meadow') ? [collections.get('Spring campaign')] : [],
      });
    }
    const others: Array<[string, Buffer, string, string]> = [
      ['product-teaser.mp4', await testVideo(), 'Product teaser', 'Brand assets'],
      ['jingle.mp3', await testAudio(), 'Jingle', 'Brand assets'],
      ['brand-guidelines.pdf', testPdf(2), 'Brand guidelines', 'Brand assets'],
      ['press-release.txt', Buffer.from('For immediate release.\n'), 'Press release', 'Brand assets'],
    ];
    for (const [file, bytes, title, collection] of others) {
      const id = await upload(file, bytes);
      await call('POST', `/api/pending/${id}/approve`, {
        title,
        accessLevel: 'members',
        tagIds: [tags.get('Brand')],
        collectionIds: [collections.get(collection)],
      });
    }
    const old = await upload('old-logo.jpg', await sceneJpeg(['#cfd9df', '#e2ebf0'], '#9aa5b1', '#6b7b8c'));
    const trashed = await call<{ mediaFile: { id: string } }>('POST', `/api/pending/${old}/approve`, {
      title: 'Old logo',
    });
    await call('DELETE', `/api/files/${trashed.mediaFile.id}`);
    await upload('forest-trail.jpg', await sceneJpeg(['#a8e063', '#56ab2f'], '#f9fbe7', '#1b5e20'), member);
    await upload('beach_day-2.jpg', await sceneJpeg(['#4facfe', '#00f2fe'], '#fffde7', '#f6e27f'), member);
    await upload('meeting-notes.txt', Buffer.from('Notes from the Monday meeting.\n'), member);

    // The rendition worker runs in the server; wait until every picture, the video and the PDF have a thumbnail.
    await waitFor('thumbnails', 180_000, async () => {
      const listed = await call<{ results: Array<{ fileType: string; urls: { thumbnail?: string } }> }>(
        'GET',
        '/api/files?pageSize=100',
      );
      const pending = await call<{ results: Array<{ fileType: string; urls: { thumbnail?: string } }> }>(
        'GET',
        '/api/pending',
      );
      return [...listed.results, ...pending.results]
        .filter((file) => ['image', 'video'].includes(file.fileType))
        .every((file) => file.urls.thumbnail);
    });

    mkdirSync(output, { recursive: true });
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    await page.setViewport({ width: 1280, height: 800 });
    await page.goto(`${base}/`);
    await byRole(page, 'button', 'Sign in');
    await shoot(page, 'sign-in');
    await signIn(page, CONSOLE_ADMIN.email, CONSOLE_ADMIN.password);
    await waitForLibrary(page, 10);
    await shoot(page, 'library');
    await page.setViewport({ width: 360, height: 800 });
    await shoot(page, 'library-360');
    await page.setViewport({ width: 1280, height: 800 });

    const list = await byRole(page, 'list', 'Files');
    await (await byRole(list, 'link', 'Sunset over the coast')).click();
    await byRole(page, 'heading', 'Sunset over the coast');
    await shoot(page, 'file');

    await go(page, 'Upload');
    const again = join(files, 'alpine-lake.jpg');
    writeFileSync(again, await sceneJpeg(...PICTURES[1].colours));
    const fresh = join(files, 'autumn-forest.jpg');
    writeFileSync(fresh, await sceneJpeg(['#f12711', '#f5af19'], '#fff3e0', '#5d4037'));
    const empty = join(files, 'empty.txt');
    writeFileSync(empty, '');
    await (await fileInput(page, 'Choose files')).uploadFile(fresh, again, empty);
    const uploads = await byRole(page, 'list', 'Uploads');
    for (const [name, outcome] of [
      ['autumn-forest.jpg', 'Pending approval'],
      ['alpine-lake.jpg', 'Already in the library'],
      ['empty.txt', 'The file is empty'],
    ])
      await waitUntil(`${name}: ${outcome}`, async () =>
        (await textOf(await itemWith(uploads, name))).includes(outcome),
      );
    await shoot(page, 'upload');

    await go(page, 'Pending');
    await itemWith(page, 'forest-trail.jpg');
    await (await byRole(page, 'checkbox', 'Select meeting-notes.txt')).click();
    await shoot(page, 'pending');
    await (await byRole(await itemWith(page, 'forest-trail.jpg'), 'button', 'Approve')).click();
    const dialog = await byRole(page, 'dialog');
    await (await byRole(dialog, 'checkbox', 'Nature')).click();
    await shoot(page, 'pending-approve');
    await page.keyboard.press('Escape');
    await waitUntil('the dialog to close', async () => (await allByRole(page, 'dialog')).length === 0);

    await go(page, 'Trash');
    await itemWith(page, 'Old logo');
    await shoot(page, 'trash');
    await go(page, 'Tags');
    await itemWith(await byRole(page, 'list', 'Tags'), 'Nature');
    await shoot(page, 'tags');
    await go(page, 'Collections');
    await itemWith(await byRole(page, 'list', 'Collections'), 'Brand assets');
    await shoot(page, 'collections');
    await go(page, 'Users');
    await itemWith(await byRole(page, 'list', 'Users'), MEMBER.email);
    await shoot(page, 'users');
    await go(page, 'Jobs');
    await page.waitForSelector('dl.figures');
    await (
      await byRole(await itemWith(await byRole(page, 'list', 'Jobs'), 'collect-garbage'), 'button', 'Run now')
    ).click();
    await waitUntil('the run', async () =>
      (await Promise.all((await allByRole(page, 'status')).map(textOf))).some((text) =>
        text.startsWith('collect-garbage'),
      ),
    );
    await shoot(page, 'jobs');
    await context.close();

    const memberContext = await browser.createBrowserContext();
    const memberPage = await memberContext.newPage();
    await memberPage.setViewport({ width: 1280, height: 800 });
    await memberPage.goto(`${base}/pending`);
    await signIn(memberPage, MEMBER.email, MEMBER.password);
    await itemWith(memberPage, 'meeting-notes.txt');
    await shoot(memberPage, 'pending-member');
    await memberContext.close();
  } finally {
    await browser.close();
    await environment.stop();
    rmSync(files, { recursive: true, force: true });
  }
}

/** Saves the whole page once every picture on it has loaded (lazy ones too: a full-page shot scrolls nothing). */
async function shoot(page: Page, name: string): Promise<void> {
  // Progress bars ease to their width (0.2 s): let them arrive.
  await new Promise((done) => setTimeout(done, 400));
  await page.evaluate(
    `Promise.all([...document.images].map((image) => { image.loading = 'eager'; return image.complete ? 0 :
      new Promise((done) => { image.onload = image.onerror = done; }); }))`,
  );
  await page.screenshot({ path: `${join(output, name)}.png`, fullPage: true });
  console.log(`${name}.png`);
}

async function waitForLibrary(page: Page, count: number): Promise<void> {
  await waitUntil(`${count} files in the library`, async () => {
    const list = await byRole(page, 'list', 'Files');
    return (await allByRole(list, 'listitem')).length >= count;
  });
}

async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 500));
  }
}

await main();
