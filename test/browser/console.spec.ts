/**
 * Issue 12: the built web console in a real headless Chromium, against the real server, PostgreSQL and S3 server.
 * Elements are found by role and accessible name (UI.md); each test signs in on a fresh browser context, so tests
 * do not depend on one another's pages (fixtures they need are made through the API).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, HTTPRequest, Page } from 'puppeteer-core';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createTestApp, MEMBER_PASSWORD, type TestApp } from '../support/app.js';
import {
  alerts,
  allByRole,
  byRole,
  ensureConsoleBuilt,
  fileInput,
  fill,
  go,
  itemWith,
  launchBrowser,
  linkNamesIn,
  signIn,
  textOf,
  waitUntil,
} from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { approve, content, upload } from '../support/files.js';
import { solidImage, solidPng } from '../support/media.js';
import { RenditionWorker } from '../../src/renditions/rendition-worker.service.js';

jest.setTimeout(120_000);

describe('web console in a browser', () => {
  let database: TestDatabase;
  let t: TestApp;
  let browser: Browser;
  let base: string;
  let files: string;
  let admin: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    const consoleDirectory = await ensureConsoleBuilt();
    database = await createTestDatabase();
    t = await createTestApp({
      databaseUrl: database.url,
      listen: true,
      appOptions: { logger: ['error'], consoleDirectory },
    });
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    browser = await launchBrowser();
    files = mkdtempSync(join(tmpdir(), 'mediavault-browser-'));
    admin = await t.adminAuth();
  });

  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await database?.drop();
    if (files) rmSync(files, { recursive: true, force: true });
  });

  /** A fresh browser profile at `path`, signed in, with the navigation shown. */
  async function open(email: string, password: string, path = '/', width = 1280): Promise<Page> {
    const context = await browser.createBrowserContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.setViewport({ width, height: 900 });
    await page.goto(base + path);
    await signIn(page, email, password);
    await byRole(page, 'navigation', 'Main');
    return page;
  }

  function writeFile(name: string, bytes: Buffer): string {
    const path = join(files, name);
    writeFileSync(path, bytes);
    return path;
  }

  async function approvedFile(auth: string, title: string, metadata: Record<string, unknown> = {}) {
    const uploaded = await upload(t, auth, content(), `${title}.txt`);
    const approved = await approve(t, admin, uploaded.pendingFile!.id, { title, ...metadata });
    expect(approved.status).toBe(201);
    return approved.body.mediaFile as { id: string; title: string };
  }

  async function search(page: Page, words: string, expected: string[]): Promise<void> {
    await fill(await byRole(page, 'searchbox', 'Search'), words);
    await waitUntil(`the library to list ${JSON.stringify(expected)}`, async () => {
      const names = await linkNamesIn(page, 'Files');
      return JSON.stringify(names) === JSON.stringify(expected) ? names : undefined;
    });
  }

  it('sign-in: a wrong password shows the API message in an alert; the right one opens the deep link', async () => {
    const refused = await t.http.post('/api/auth/login').send({ email: ADMIN_EMAIL, password: 'wrong-password' });
    expect(refused.status).toBe(401);

    const context = await browser.createBrowserContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${base}/pending`);
    await signIn(page, ADMIN_EMAIL, 'wrong-password');
    await waitUntil('the refusal alert', async () => (await alerts(page)).includes(refused.body.message));
    expect(await allByRole(page, 'navigation', 'Main')).toHaveLength(0);

    await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
    const nav = await byRole(page, 'navigation', 'Main');
    const links = await Promise.all((await allByRole(nav, 'link')).map(textOf));
    expect(links).toEqual(['Library', 'Upload', 'Pending', 'Trash', 'Tags', 'Collections', 'Users', 'Jobs']);
    await byRole(page, 'heading', 'Pending');

    await (await byRole(page, 'button', 'Sign out')).click();
    await byRole(page, 'button', 'Sign in');
    expect(await allByRole(page, 'navigation', 'Main')).toHaveLength(0);
  });

  it('a reload keeps the session (refresh token); Sign out ends it for good', async () => {
    const page = await open(ADMIN_EMAIL, ADMIN_PASSWORD);
    await page.goto(`${base}/trash`);
    await byRole(page, 'heading', 'Trash');
    await byRole(page, 'navigation', 'Main');
    await (await byRole(page, 'button', 'Sign out')).click();
    await byRole(page, 'button', 'Sign in');
    await page.goto(`${base}/trash`);
    await byRole(page, 'button', 'Sign in');
    expect(await allByRole(page, 'heading', 'Trash')).toHaveLength(0);
  });

  it('upload: several files get their outcomes; content already in the library is not sent again', async () => {
    const photo = writeFile('photo.png', solidPng(8, [200, 40, 40]));
    const notes = writeFile('notes.txt', content());
    const empty = writeFile('empty.txt', Buffer.alloc(0));
    const page = await open(ADMIN_EMAIL, ADMIN_PASSWORD);
    const sent: string[] = [];
    page.on('request', (request: HTTPRequest) => {
      if (request.method() === 'POST') sent.push(new URL(request.url()).pathname);
    });

    await go(page, 'Upload');
    await (await fileInput(page, 'Choose files')).uploadFile(photo, notes, empty);
    const uploads = await byRole(page, 'list', 'Uploads');
    const outcome = async (name: string, text: string) => {
      const item = await itemWith(uploads, name);
      await waitUntil(`"${text}" for ${name}`, async () => (await textOf(item)).includes(text));
      const bar = await byRole(item, 'progressbar');
      expect(await bar.evaluate((node) => node.getAttribute('aria-valuenow'))).toBe('100');
      return item;
    };
    await outcome('photo.png', 'Pending approval');
    await outcome('notes.txt', 'Pending approval');
    const refused = await outcome('empty.txt', 'The file is empty');
    expect(await textOf(await byRole(refused, 'alert'))).toBe('The file is empty');
    expect(sent.filter((path) => path === '/api/uploads')).toHaveLength(3);

    // Approve the photo: its content is now in the library. Choosing both files again sends only the notes.
    const pending = await t.http.get('/api/pending').set('Authorization', admin).expect(200);
    const photoPending = pending.body.results.find(
      (file: { originalFilename: string }) => file.originalFilename === 'photo.png',
    );
    expect((await approve(t, admin, photoPending.id, { title: 'Red square' })).status).toBe(201);

    await go(page, 'Library');
    await go(page, 'Upload');
    sent.length = 0;
    await (await fileInput(page, 'Choose files')).uploadFile(photo, notes);
    const again = await byRole(page, 'list', 'Uploads');
    await waitUntil('both outcomes', async () => {
      const texts = await Promise.all((await allByRole(again, 'listitem')).map(textOf));
      return texts.some((text) => text.includes('photo.png') && text.includes('Already in the library')) &&
        texts.some((text) => text.includes('notes.txt') && text.includes('Updated pending upload'))
        ? texts
        : undefined;
    });
    expect(sent.filter((path) => path === '/api/uploads/check')).toHaveLength(2);
    expect(sent.filter((path) => path === '/api/uploads')).toHaveLength(1);
  });

  it('upload: files dropped on the drop zone are uploaded too', async () => {
    const page = await open(ADMIN_EMAIL, ADMIN_PASSWORD, '/upload');
    const zone = await byRole(page, 'region', 'Drop zone');
    const text = `dropped content ${Date.now()}`;
    // What a drag from the desktop delivers: a drop event whose DataTransfer holds files.
    await zone.evaluate((node, body) => {
      const scope = globalThis as unknown as {
        DataTransfer: new () => { items: { add(file: unknown): void } };
        File: new (parts: string[], name: string, options: { type: string }) => unknown;
        DragEvent: new (type: string, init: Record<string, unknown>) => unknown;
      };
      const transfer = new scope.DataTransfer();
      transfer.items.add(new scope.File([body], 'dropped.txt', { type: 'text/plain' }));
      const target = node as unknown as { dispatchEvent(event: unknown): void };
      target.dispatchEvent(new scope.DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, text);
    const item = await itemWith(await byRole(page, 'list', 'Uploads'), 'dropped.txt');
    await waitUntil('the dropped file to be pending', async () => (await textOf(item)).includes('Pending approval'));
    const pending = await t.http.get('/api/pending').set('Authorization', admin).expect(200);
    expect(pending.body.results.map((file: { originalFilename: string }) => file.originalFilename)).toContain(
      'dropped.txt',
    );
  });

  it('pending: Approve opens a dialog with the title prefilled; confirming approves the file', async () => {
    await upload(t, admin, content(), 'beach-day.txt');
    const page = await open(ADMIN_EMAIL, ADMIN_PASSWORD, '/pending');
    await byRole(page, 'heading', 'Pending');
    const row = await itemWith(page, 'beach-day.txt');
    await (await byRole(row, 'button', 'Approve')).click();
    const dialog = await byRole(page, 'dialog');
    const title = await byRole(dialog, 'textbox', 'Title');
    expect(await title.evaluate((node) => (node as unknown as { value: string }).value)).toBe('beach day');
    await fill(title, 'Beach day in May');
    await fill(await byRole(dialog, 'textbox', 'Description'), 'Approved in the browser');
    await (await byRole(dialog, 'button', 'Approve')).click();
    await waitUntil('the dialog to close', async () => (await allByRole(page, 'dialog')).length === 0);
    await itemWith(await byRole(page, 'region', 'Outcomes'), 'beach-day.txt: Approved');

    const found = await t.http
      .get('/api/files')
      .query({ q: 'Beach day in May' })
      .set('Authorization', admin)
      .expect(200);
    expect(found.body.results).toEqual([
      expect.objectContaining({
        title: 'Beach day in May',
        description: 'Approved in the browser',
        originalFilename: 'beach-day.txt',
      }),
    ]);
  });

  it('pending: Reject selected rejects the checked rows and reports each outcome', async () => {
    const first = await upload(t, admin, content(), 'reject-one.txt');
    const second = await upload(t, admin, content(), 'reject-two.txt');
    const kept = await upload(t, admin, content(), 'keep-me.txt');
    const page = await open(ADMIN_EMAIL, ADMIN_PASSWORD, '/pending');
    await (await byRole(page, 'checkbox', 'Select reject-one.txt')).click();
    await (await byRole(page, 'checkbox', 'Select reject-two.txt')).click();
    await (await byRole(page, 'button', 'Reject selected')).click();
    const dialog = await byRole(page, 'dialog');
    await fill(await byRole(dialog, 'textbox', 'Reason'), 'Out of focus');
    await (await byRole(dialog, 'button', 'Reject')).click();
    const outcomes = await byRole(page, 'region', 'Outcomes');
    await itemWith(outcomes, 'reject-one.txt: Rejected');
    await itemWith(outcomes, 'reject-two.txt: Rejected');
    await itemWith(page, 'keep-me.txt');

    for (const [id, status] of [
      [first.pendingFile!.id, 'rejected'],
      [second.pendingFile!.id, 'rejected'],
      [kept.pendingFile!.id, 'pending'],
    ]) {
      const file = await t.http.get(`/api/pending/${id}`).set('Authorization', admin).expect(200);
      expect(file.body.status).toBe(status);
    }
  });

  it('pending: Approve selected approves the checked rows with titles from their filenames', async () => {
    await upload(t, admin, content(), 'bulk_first-photo.txt');
    await upload(t, admin, content(), 'bulk-second.txt');
    const page = await open(ADMIN_EMAIL, ADMIN_PASSWORD, '/pending');
    await (await byRole(page, 'checkbox', 'Select bulk_first-photo.txt')).click();
    await (await byRole(page, 'checkbox', 'Select bulk-second.txt')).click();
    await (await byRole(page, 'button', 'Approve selected')).click();
    const outcomes = await byRole(page, 'region', 'Outcomes');
    await itemWith(outcomes, 'bulk_first-photo.txt: Approved');
    await itemWith(outcomes, 'bulk-second.txt: Approved');

    const found = await t.http.get('/api/files').query({ q: 'bulk' }).set('Authorization', admin).expect(200);
    expect(found.body.results.map((file: { title: string }) => file.title).sort()).toEqual([
      'bulk first photo',
      'bulk second',
    ]);
  });

  it('library: the type, tag, collection and access level filters narrow the list', async () => {
    const tag = await t.http.post('/api/tags').set('Authorization', admin).send({ name: 'Filterable tag' });
    const collection = await t.http
      .post('/api/collections')
      .set('Authorization', admin)
      .send({ title: 'Filterable collection' });
    await approvedFile(admin, 'Filter tagged', { tagIds: [tag.body.id] });
    await approvedFile(admin, 'Filter collected', { collectionIds: [collection.body.id] });
    await approvedFile(admin, 'Filter staff only', { accessLevel: 'staff' });
    const picture = await upload(t, admin, solidPng(8, [10, 120, 10]), 'filter-picture.png');
    expect((await approve(t, admin, picture.pendingFile!.id, { title: 'Filter picture' })).status).toBe(201);

    const page = await open(ADMIN_EMAIL, ADMIN_PASSWORD);
    await fill(await byRole(page, 'searchbox', 'Search'), 'filter');
    await waitUntil('the four files', async () => (await linkNamesIn(page, 'Files')).length === 4);
    const only = async (label: string, optionText: string, expected: string[]) => {
      const select = await byRole(page, 'combobox', label);
      const value = await select.evaluate(
        (node, text) =>
          Array.from((node as unknown as { options: { text: string; value: string }[] }).options).find(
            (option) => option.text === text,
          )?.value,
        optionText,
      );
      expect(value).toBeTruthy();
      await select.select(value!);
      await waitUntil(`${label} = ${optionText} to list ${JSON.stringify(expected)}`, async () =>
        JSON.stringify(await linkNamesIn(page, 'Files')) === JSON.stringify(expected) ? true : undefined,
      );
      await select.select('');
    };
    await only('Type', 'image', ['Filter picture']);
    await only('Tag', 'Filterable tag', ['Filter tagged']);
    await only('Collection', 'Filterable collection', ['Filter collected']);
    await only('Access level', 'staff', ['Filter staff only']);
  });

  it("an API error while loading a page's lists shows the API's message in an alert", async () => {
    const page = await open(ADMIN_EMAIL, ADMIN_PASSWORD, '/upload');
    const message = 'The tag list is not available right now';
    await page.setRequestInterception(true);
    page.on('request', (request: HTTPRequest) => {
      if (request.isInterceptResolutionHandled()) return;
      if (new URL(request.url()).pathname !== '/api/tags') return void request.continue();
      void request.respond({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ statusCode: 503, error: 'Service Unavailable', message, requestId: 'test' }),
      });
    });
    await go(page, 'Library');
    await waitUntil('the alert with the API message', async () => (await alerts(page)).includes(message));
  });

  it('library: the search box narrows the list; each item has its picture named by the title and a link', async () => {
    await approvedFile(admin, 'Aurora borealis');
    await approvedFile(admin, 'Harbour at night');
    const page = await open(ADMIN_EMAIL, ADMIN_PASSWORD);
    await byRole(page, 'heading', 'Library');
    await search(page, 'aurora', ['Aurora borealis']);
    const item = await itemWith(await byRole(page, 'list', 'Files'), 'Aurora borealis');
    // Chromium names the ARIA role `img` "image" in its accessibility tree.
    await byRole(item, 'image', 'Aurora borealis');
    await search(page, 'harbour', ['Harbour at night']);
    await search(page, 'no such words anywhere', []);
  });

  it('library: an approved image shows its rendered thumbnail from its signed URL', async () => {
    const uploaded = await upload(t, admin, await solidImage(800, 600, '#3a7d44').jpeg().toBuffer(), 'meadow.jpg');
    // The upload queued it; render what is due (the test app runs as `api`, so nothing renders alone).
    await t.get(RenditionWorker).processDue();
    const approved = await approve(t, admin, uploaded.pendingFile!.id, { title: 'Green meadow' });
    expect(approved.status).toBe(201);
    const id = (approved.body.mediaFile as { id: string }).id;

    const page = await open(ADMIN_EMAIL, ADMIN_PASSWORD);
    await search(page, 'meadow', ['Green meadow']);
    const picture = await byRole(
      await itemWith(await byRole(page, 'list', 'Files'), 'Green meadow'),
      'image',
      'Green meadow',
    );
    const loaded = await waitUntil('the thumbnail to load', () =>
      picture.evaluate((img) => {
        const image = img as unknown as {
          complete: boolean;
          naturalWidth: number;
          getAttribute(name: string): string | null;
        };
        return image.complete && image.naturalWidth > 0
          ? { src: image.getAttribute('src') ?? '', width: image.naturalWidth }
          : undefined;
      }),
    );
    expect(loaded.src).toMatch(new RegExp(`^/api/media/files/${id}/${uploaded.hash}/thumbnail/`));
    expect(loaded.width).toBe(320);
  });

  it('library: scrolling to the end of the list loads the next page', async () => {
    for (let index = 1; index <= 65; index += 1) await approvedFile(admin, `Scrollable item ${index}`);
    const page = await open(ADMIN_EMAIL, ADMIN_PASSWORD);
    await fill(await byRole(page, 'searchbox', 'Search'), 'scrollable');
    await waitUntil('the first page of 60', async () => (await linkNamesIn(page, 'Files')).length === 60);
    await (await byRole(page, 'button', 'Load more')).scrollIntoView();
    const names = await waitUntil('all 65', async () => {
      const all = await linkNamesIn(page, 'Files');
      return all.length === 65 ? all : undefined;
    });
    expect(new Set(names).size).toBe(65);
    expect(await allByRole(page, 'button', 'Load more')).toHaveLength(0);
  });

  it('file page: Edit and Save change the metadata', async () => {
    await approvedFile(admin, 'Unedited title');
    const page = await open(ADMIN_EMAIL, ADMIN_PASSWORD);
    await search(page, 'unedited', ['Unedited title']);
    await (await byRole(await byRole(page, 'list', 'Files'), 'link', 'Unedited title')).click();
    await byRole(page, 'heading', 'Unedited title');
    await byRole(page, 'link', 'Download');
    await (await byRole(page, 'button', 'Edit')).click();
    await fill(await byRole(page, 'textbox', 'Title'), 'Edited title');
    await fill(await byRole(page, 'textbox', 'Description'), 'Changed in the browser');
    await (await byRole(page, 'button', 'Save')).click();
    await byRole(page, 'heading', 'Edited title');

    const found = await t.http.get('/api/files').query({ q: 'Edited title' }).set('Authorization', admin).expect(200);
    expect(found.body.results).toEqual([
      expect.objectContaining({ title: 'Edited title', description: 'Changed in the browser' }),
    ]);
  });

  it("file page: the uploader's Replace content waits for approval; approving it from Pending applies it", async () => {
    const member = await t.createUser('member');
    const file = await approvedFile(member.auth, 'Member chart');
    const page = await open(member.email, MEMBER_PASSWORD, `/files/${file.id}`);
    await byRole(page, 'heading', 'Member chart');
    const bytes = content();
    await (await fileInput(page, 'Replace content')).uploadFile(writeFile('chart-v2.txt', bytes));
    await waitUntil('the replacement to wait for approval', async () =>
      (await Promise.all((await allByRole(page, 'status')).map(textOf))).includes('Replacement pending approval'),
    );
    expect((await t.http.get(`/api/files/${file.id}`).set('Authorization', admin)).body.version).toBe(1);

    const moderator = await open(ADMIN_EMAIL, ADMIN_PASSWORD, '/pending');
    const row = await itemWith(moderator, 'chart-v2.txt');
    await byRole(row, 'link', 'Replaces the content of a library file');
    await (await byRole(row, 'button', 'Approve')).click();
    const dialog = await byRole(moderator, 'dialog');
    expect(await allByRole(dialog, 'textbox', 'Title')).toHaveLength(0);
    await (await byRole(dialog, 'button', 'Approve')).click();
    await itemWith(await byRole(moderator, 'region', 'Outcomes'), 'chart-v2.txt: Approved');
    const replaced = await t.http.get(`/api/files/${file.id}`).set('Authorization', admin).expect(200);
    expect(replaced.body).toMatchObject({ title: 'Member chart', version: 2, originalFilename: 'chart-v2.txt' });
  });

  it('file page: the preview and Download open the signed URL, without the Authorization header', async () => {
    const bytes = solidPng(16, [30, 90, 160]);
    const uploaded = await upload(t, admin, bytes, 'signed-preview.png');
    const approved = await approve(t, admin, uploaded.pendingFile!.id, { title: 'Signed preview' });
    expect(approved.status).toBe(201);
    const id = (approved.body.mediaFile as { id: string }).id;
    const page = await open(ADMIN_EMAIL, ADMIN_PASSWORD, `/files/${id}`);
    await byRole(page, 'heading', 'Signed preview');

    const preview = await byRole(page, 'image', 'Signed preview');
    const loaded = await waitUntil('the preview to load', () =>
      preview.evaluate((img) => {
        const image = img as unknown as {
          complete: boolean;
          naturalWidth: number;
          getAttribute(name: string): string | null;
        };
        return image.complete && image.naturalWidth > 0
          ? { src: image.getAttribute('src') ?? '', width: image.naturalWidth }
          : undefined;
      }),
    );
    expect(loaded.src).toMatch(new RegExp(`^/api/media/files/${id}/`));
    expect(loaded.width).toBe(16);

    const link = await byRole(page, 'link', 'Download');
    const { href, download } = await link.evaluate((a) => ({
      href: a.getAttribute('href') ?? '',
      download: a.getAttribute('download'),
    }));
    expect(href).toMatch(new RegExp(`^/api/media/files/${id}/`));
    expect(download).toBe('signed-preview.png');
    const fetched = await t.http.get(href).buffer(true).expect(200);
    expect(Buffer.compare(fetched.body as Buffer, bytes)).toBe(0);
  });

  it('trash: a file in use is refused with the API message; once free it is trashed and restored', async () => {
    const file = await approvedFile(admin, 'Shared logo');
    const usage = { contentType: 'page', contentId: 'home' };
    await t.http.post(`/api/files/${file.id}/usages`).set('Authorization', admin).send(usage).expect(201);
    const refusal = await t.http.delete(`/api/files/${file.id}`).set('Authorization', admin);
    expect(refusal.status).toBe(409);
    expect(refusal.body.code).toBe('IN_USE');

    const page = await open(ADMIN_EMAIL, ADMIN_PASSWORD);
    await search(page, 'shared logo', ['Shared logo']);
    await (await byRole(await byRole(page, 'list', 'Files'), 'link', 'Shared logo')).click();
    await byRole(page, 'heading', 'Shared logo');
    await itemWith(page, 'page home');
    await (await byRole(page, 'button', 'Move to trash')).click();
    await waitUntil('the IN_USE alert', async () => (await alerts(page)).includes(refusal.body.message));

    await t.http.delete(`/api/files/${file.id}/usages`).set('Authorization', admin).send(usage).expect(204);
    await (await byRole(page, 'button', 'Move to trash')).click();
    await byRole(page, 'heading', 'Trash');
    const row = await itemWith(page, 'Shared logo');
    await byRole(row, 'button', 'Delete forever');
    await byRole(page, 'button', 'Empty trash');
    await (await byRole(row, 'button', 'Restore')).click();
    await waitUntil('the restore notice', async () => {
      const notices = await Promise.all((await allByRole(page, 'status')).map(textOf));
      return notices.includes('Shared logo restored.');
    });
    expect((await t.http.get(`/api/files/${file.id}`).set('Authorization', admin)).status).toBe(200);

    await go(page, 'Library');
    await search(page, 'shared logo', ['Shared logo']);
  });

  it('trash: Delete forever purges one file; Empty trash asks in a dialog, then purges the rest', async () => {
    const ids: string[] = [];
    for (const title of ['Purge me now', 'Purge me later', 'Purge me too']) {
      const file = await approvedFile(admin, title);
      await t.http.delete(`/api/files/${file.id}`).set('Authorization', admin).expect(204);
      ids.push(file.id);
    }
    const page = await open(ADMIN_EMAIL, ADMIN_PASSWORD, '/trash');
    await (await byRole(await itemWith(page, 'Purge me now'), 'button', 'Delete forever')).click();
    await waitUntil('the purge notice', async () =>
      (await Promise.all((await allByRole(page, 'status')).map(textOf))).includes('Purge me now deleted for good.'),
    );
    const left = await t.http.get('/api/trash').set('Authorization', admin).expect(200);
    expect(left.body.results.map((file: { id: string }) => file.id).sort()).toEqual(ids.slice(1).sort());

    await (await byRole(page, 'button', 'Empty trash')).click();
    const dialog = await byRole(page, 'dialog', 'Empty trash?');
    await (await byRole(dialog, 'button', 'Cancel')).click();
    await waitUntil('the dialog to close', async () => (await allByRole(page, 'dialog')).length === 0);
    await itemWith(page, 'Purge me later');
    await (await byRole(page, 'button', 'Empty trash')).click();
    await (await byRole(await byRole(page, 'dialog', 'Empty trash?'), 'button', 'Empty trash')).click();
    await waitUntil('the emptied notice', async () =>
      (await Promise.all((await allByRole(page, 'status')).map(textOf))).includes('The trash was emptied.'),
    );
    await byRole(page, 'button', 'Empty trash');
    const trash = await t.http.get('/api/trash').set('Authorization', admin).expect(200);
    expect(trash.body.count).toBe(0);
  });

  it("a member sees their own uploads without admin actions, and never another member's private files", async () => {
    const member = await t.createUser('member');
    const other = await t.createUser('member');
    await approvedFile(other.auth, 'Private plan of another', { accessLevel: 'private' });
    await approvedFile(admin, 'Team handbook', { accessLevel: 'members' });
    await upload(t, member.auth, content(), 'my-draft.txt');
    await upload(t, other.auth, content(), 'their-draft.txt');

    const page = await open(member.email, MEMBER_PASSWORD);
    const nav = await byRole(page, 'navigation', 'Main');
    const links = await Promise.all((await allByRole(nav, 'link')).map(textOf));
    expect(links).toEqual(['Library', 'Upload', 'Pending', 'Trash', 'Tags', 'Collections']);

    await search(page, 'handbook', ['Team handbook']);
    await search(page, 'private plan', []);

    await go(page, 'Pending');
    const mine = await itemWith(page, 'my-draft.txt');
    expect(await textOf(mine)).toContain('pending');
    expect(await allByRole(page, 'button', 'Approve')).toHaveLength(0);
    expect(await allByRole(page, 'button', 'Reject')).toHaveLength(0);
    expect(await allByRole(page, 'button', 'Approve selected')).toHaveLength(0);
    expect(await allByRole(page, 'checkbox')).toHaveLength(0);
    const rows = await Promise.all(
      (await allByRole(await byRole(page, 'list', 'Pending files'), 'listitem')).map(textOf),
    );
    expect(rows.some((text) => text.includes('their-draft.txt'))).toBe(false);

    // Another's file: readable, but neither editable nor to be trashed by this member.
    await go(page, 'Library');
    await search(page, 'handbook', ['Team handbook']);
    await (await byRole(await byRole(page, 'list', 'Files'), 'link', 'Team handbook')).click();
    await byRole(page, 'heading', 'Team handbook');
    await byRole(page, 'link', 'Download');
    expect(await allByRole(page, 'button', 'Edit')).toHaveLength(0);
    expect(await allByRole(page, 'button', 'Move to trash')).toHaveLength(0);

    // Their own trashed file: Restore, but no Delete forever and no Empty trash.
    const own = await approvedFile(member.auth, 'Own trashed sketch');
    await t.http.delete(`/api/files/${own.id}`).set('Authorization', member.auth).expect(204);
    await go(page, 'Trash');
    const trashed = await itemWith(page, 'Own trashed sketch');
    await byRole(trashed, 'button', 'Restore');
    expect(await allByRole(trashed, 'button', 'Delete forever')).toHaveLength(0);
    expect(await allByRole(page, 'button', 'Empty trash')).toHaveLength(0);
  });

  it('admin pages: tags, collections, users and jobs', async () => {
    const page = await open(ADMIN_EMAIL, ADMIN_PASSWORD);

    await go(page, 'Tags');
    await (await byRole(page, 'button', 'New tag')).click();
    await fill(await byRole(page, 'textbox', 'Name'), 'Landscapes');
    await (await byRole(page, 'button', 'Create')).click();
    const tag = await itemWith(await byRole(page, 'list', 'Tags'), 'Landscapes');
    await byRole(tag, 'button', 'Edit');
    await byRole(tag, 'button', 'Delete');

    await go(page, 'Collections');
    await (await byRole(page, 'button', 'New collection')).click();
    await fill(await byRole(page, 'textbox', 'Title'), 'Summer campaign');
    await (await byRole(page, 'button', 'Create')).click();
    const collection = await itemWith(await byRole(page, 'list', 'Collections'), 'Summer campaign');
    await (await byRole(collection, 'button', 'Edit')).click();
    await fill(await byRole(page, 'textbox', 'Title'), 'Autumn campaign');
    await (await byRole(page, 'button', 'Save')).click();
    await itemWith(await byRole(page, 'list', 'Collections'), 'Autumn campaign');

    await go(page, 'Users');
    await (await byRole(page, 'button', 'New user')).click();
    await fill(await byRole(page, 'textbox', 'Email'), 'new.person@test.local');
    await fill(await byRole(page, 'textbox', 'Password'), 'a-long-enough-password');
    await (await byRole(page, 'button', 'Create')).click();
    const user = await itemWith(await byRole(page, 'list', 'Users'), 'new.person@test.local');
    expect(await textOf(user)).toContain('member');
    await (await byRole(user, 'button', 'Disable')).click();
    const disabled = await itemWith(await byRole(page, 'list', 'Users'), 'new.person@test.local');
    await byRole(disabled, 'button', 'Enable');
    const refused = await t.http
      .post('/api/auth/login')
      .send({ email: 'new.person@test.local', password: 'a-long-enough-password' });
    expect(refused.body.code).toBe('ACCOUNT_DISABLED');
    await (await byRole(disabled, 'button', 'Enable')).click();
    await byRole(await itemWith(await byRole(page, 'list', 'Users'), 'new.person@test.local'), 'button', 'Disable');

    await go(page, 'Jobs');
    // The storage figures render above the job list; clicking before they arrive can hit the shifting layout.
    await page.waitForSelector('dl.figures', { timeout: 20_000 });
    const job = await itemWith(await byRole(page, 'list', 'Jobs'), 'expire-pending');
    await (await byRole(job, 'button', 'Run now')).click();
    await waitUntil('the run outcome', async () => {
      for (const status of await allByRole(page, 'status'))
        if ((await textOf(status)).startsWith('expire-pending:')) return true;
      const alert = await page.$('[role="alert"]');
      if (alert) throw new Error(`the run failed: ${await textOf(alert)}`);
      return undefined;
    });
    const renditionsJob = await itemWith(await byRole(page, 'list', 'Jobs'), 'generate-renditions');
    await (await byRole(renditionsJob, 'button', 'Run now')).click();
    await waitUntil('the rendition job outcome', async () => {
      for (const status of await allByRole(page, 'status'))
        if ((await textOf(status)).startsWith('generate-renditions:')) return true;
      const alert = await page.$('[role="alert"]');
      if (alert) throw new Error(`the run failed: ${await textOf(alert)}`);
      return undefined;
    });
    await byRole(page, 'heading', 'Storage');

    const tags = await t.http.get('/api/tags').query({ q: 'Landscapes' }).set('Authorization', admin).expect(200);
    expect(tags.body.results.map((item: { name: string }) => item.name)).toEqual(['Landscapes']);
    const created = await t.http
      .post('/api/auth/login')
      .send({ email: 'new.person@test.local', password: 'a-long-enough-password' });
    expect(created.status).toBe(200);
  });

  it('keyboard: signing in, moving between pages and a dialog need no mouse', async () => {
    await upload(t, admin, content(), 'keyboard.txt');
    const context = await browser.createBrowserContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await byRole(page, 'button', 'Sign in');
    await page.keyboard.press('Tab');
    await page.keyboard.type(ADMIN_EMAIL);
    await page.keyboard.press('Tab');
    await page.keyboard.type(ADMIN_PASSWORD);
    await page.keyboard.press('Enter');
    await byRole(page, 'navigation', 'Main');
    // The skip link, then the navigation's Library, Upload and Pending.
    for (let step = 0; step < 4; step += 1) await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await byRole(page, 'heading', 'Pending');
    const row = await itemWith(page, 'keyboard.txt');
    await (await byRole(row, 'button', 'Approve')).focus();
    await page.keyboard.press('Enter');
    const dialog = await byRole(page, 'dialog');
    expect(await textOf(await byRole(dialog, 'heading'))).toBe('Approve keyboard.txt');
    await page.keyboard.press('Escape');
    await waitUntil('the dialog to close', async () => (await allByRole(page, 'dialog')).length === 0);
    const still = await t.http.get('/api/pending').set('Authorization', admin).expect(200);
    expect(still.body.results.map((file: { originalFilename: string }) => file.originalFilename)).toContain(
      'keyboard.txt',
    );

    // Following a link puts focus at the start of the new page (not back at the top of the document), and Edit
    // puts it in the first field, so the next Tab goes on from there.
    const file = await approvedFile(admin, 'Keyboard edited');
    await page.goto(`${base}/`);
    await search(page, 'keyboard edited', ['Keyboard edited']);
    await (await byRole(await byRole(page, 'list', 'Files'), 'link', 'Keyboard edited')).focus();
    await page.keyboard.press('Enter');
    await byRole(page, 'heading', 'Keyboard edited');
    const focused = () =>
      page.evaluate(() => {
        const active = (
          globalThis as unknown as { document: { activeElement: { id: string; getAttribute(name: string): string } } }
        ).document.activeElement;
        return active.id || active.getAttribute('name');
      });
    expect(await focused()).toBe('main');
    await (await byRole(page, 'button', 'Edit')).focus();
    await page.keyboard.press('Enter');
    await byRole(page, 'textbox', 'Title');
    expect(await focused()).toBe('title');
    await page.keyboard.press('End');
    await page.keyboard.type(' by keys');
    await page.keyboard.press('Enter');
    await byRole(page, 'heading', 'Keyboard edited by keys');
    expect((await t.http.get(`/api/files/${file.id}`).set('Authorization', admin)).body.title).toBe(
      'Keyboard edited by keys',
    );
  });

  it('works at 360 px wide: every page and a file page fit without sideways scrolling', async () => {
    const file = await approvedFile(admin, 'Narrow screen file', { description: 'Seen on a phone' });
    const page = await open(ADMIN_EMAIL, ADMIN_PASSWORD, '/', 360);
    await byRole(page, 'heading', 'Library');
    await waitUntil('the library list', async () => (await linkNamesIn(page, 'Files')).length > 0);
    const overflow = () =>
      page.evaluate(() => {
        const root = (
          globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }
        ).document.documentElement;
        return root.scrollWidth - root.clientWidth;
      });
    expect(await overflow()).toBeLessThanOrEqual(0);
    for (const name of ['Upload', 'Pending', 'Trash', 'Tags', 'Collections', 'Users', 'Jobs']) {
      await go(page, name);
      expect({ name, overflow: await overflow() }).toEqual({ name, overflow: 0 });
    }
    // The file page with everything an admin gets: Edit, Move to trash and the Replace content file input.
    await page.goto(`${base}/files/${file.id}`);
    await byRole(page, 'heading', 'Narrow screen file');
    await fileInput(page, 'Replace content');
    expect(await overflow()).toBeLessThanOrEqual(0);
  });
});
