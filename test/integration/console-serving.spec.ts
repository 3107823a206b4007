/**
 * Issue 12: the server serves the built web console at `/` (a stand-in build here, so this spec does not need
 * Vite): its files with the right caching, `index.html` for any page a browser navigates to (deep links), and
 * never in place of the API, whose unknown paths keep answering the contract's 404.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useTestApp } from '../support/app.js';

const INDEX = '<!doctype html><title>console</title><script type="module" src="/assets/index-abc123.js"></script>';
const SCRIPT = 'console.log("console");';
const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

describe('console: served by the API server', () => {
  const directory = join(tmpdir(), `mediavault-console-${randomBytes(6).toString('hex')}`);
  // Declared before useTestApp, so the stand-in build exists when the app boots (hooks run in declaration order).
  beforeAll(() => {
    mkdirSync(join(directory, 'assets'), { recursive: true });
    writeFileSync(join(directory, 'index.html'), INDEX);
    writeFileSync(join(directory, 'assets', 'index-abc123.js'), SCRIPT);
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  const t = useTestApp({ appOptions: { consoleDirectory: directory } });

  it.each(['/', '/pending', '/files/6d0c1a43-4a8b-4f7e-9a55-2a8f2b1c9e10', '/trash?x=1'])(
    'a page navigation to %s gets index.html, never cached',
    async (path) => {
      const response = await t.http.get(path).set('Accept', HTML);
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.text).toBe(INDEX);
      expect(response.headers['cache-control']).toBe('no-cache');
    },
  );

  it('hashed assets are immutable; index.html itself is revalidated', async () => {
    const script = await t.http.get('/assets/index-abc123.js');
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const index = await t.http.get('/index.html');
    expect(index.status).toBe(200);
    expect(index.headers['cache-control']).toBe('no-cache');
  });

  it('never shadows the API: an unknown /api path answers the JSON 404, even to a browser', async () => {
    for (const path of ['/api/nope', '/api', '/api/files/extra/segments/here']) {
      const response = await t.http.get(path).set('Accept', HTML);
      expect(response.status).toBe(404);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.body).toMatchObject({ statusCode: 404, code: 'ROUTE_NOT_FOUND' });
    }
    expect((await t.http.get('/api/health')).status).toBe(200);
  });

  it('a missing asset, a non-HTML client or another method gets the contract 404, not the page', async () => {
    const missing = await t.http.get('/assets/index-gone.js').set('Accept', HTML);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
    const script = await t.http.get('/pending');
    expect(script.status).toBe(404);
    expect(script.body).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
    const post = await t.http.post('/pending').set('Accept', HTML).send({});
    expect(post.status).toBe(404);
    expect(post.body).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
  });

  it('the console gets a CSP with what it needs (blob: images, wasm); the API keeps the strict one', async () => {
    const page = await t.http.get('/').set('Accept', HTML);
    const consolePolicy = page.headers['content-security-policy'];
    expect(consolePolicy).toContain("script-src 'self' 'wasm-unsafe-eval'");
    // Signed media URLs point at the storage's public origin.
    const storage = new URL(process.env.S3_PUBLIC_ENDPOINT ?? process.env.S3_ENDPOINT!).origin;
    expect(consolePolicy).toContain(`img-src 'self' data: blob: ${storage}`);
    // Previews play from signed URLs on this origin ('self'); nothing is fetched into blob: media or frames any more.
    expect(consolePolicy).toContain(`media-src 'self' ${storage}`);
    expect(consolePolicy).toContain(`frame-src 'self' ${storage}`);
    expect(consolePolicy).not.toContain("'unsafe-eval'");
    expect(consolePolicy).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    const api = await t.http.get('/api/health');
    expect(api.headers['content-security-policy']).toContain("script-src 'self';");
    expect(api.headers['content-security-policy']).not.toContain('blob:');
    // Swagger UI still loads under the API's policy.
    const docs = await t.http.get('/api/docs/').redirects(1);
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('swagger');
  });
});

describe('console: not built', () => {
  const t = useTestApp({ appOptions: { consoleDirectory: join(tmpdir(), 'mediavault-no-console-here') } });

  it('the API runs alone and a page navigation gets the contract 404', async () => {
    const response = await t.http.get('/pending').set('Accept', HTML);
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
  });
});
