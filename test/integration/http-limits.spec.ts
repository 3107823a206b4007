/**
 * Limits and protection: rate limits on login and uploads, request size, files per request and JSON body size,
 * each answered with the contract's error shape; security headers (with a working Swagger UI) and CORS.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ADMIN_EMAIL, ADMIN_PASSWORD, useTestApp } from '../support/app.js';
import { content } from '../support/files.js';
import { LoginThrottle } from '../../src/auth/login-throttle.js';
import { expectError } from '../support/errors.js';

describe('limits and protection', () => {
  let baseUrl: string;

  const t = useTestApp({
    listen: true,
    env: {
      LOGIN_RATE_LIMIT: '3',
      UPLOAD_RATE_LIMIT: '2',
      MAX_FILES_PER_REQUEST: '2',
      MAX_REQUEST_BYTES: '65536',
      CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
    },
  });

  beforeAll(async () => {
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    baseUrl = `http://127.0.0.1:${port}`;
  });

  describe('rate limits', () => {
    it('slows logins per address and email after failures: 429 with Retry-After, other emails unaffected', async () => {
      const email = 'victim@test.local';
      await t.createUser('member', email);
      // The throttle's clock stands still, so the 1 s wait cannot run out between two requests of a slow machine.
      const throttle = t.get(LoginThrottle);
      const frozen = Date.now();
      throttle.now = () => frozen;
      for (let attempt = 0; attempt < 3; attempt += 1) {
        expectError(
          await t.http.post('/api/auth/login').send({ email, password: `wrong-${attempt}-password` }),
          401,
          'INVALID_CREDENTIALS',
        );
      }
      // Three failures (LOGIN_RATE_LIMIT) from this address: the next attempt must wait, even with the right password.
      const limited = await t.http
        .post('/api/auth/login')
        .send({ email: email.toUpperCase(), password: 'member-password-123' });
      expectError(limited, 429, 'TOO_MANY_REQUESTS');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(limited.body.details).toEqual({ retryAfterSeconds: Number(limited.headers['retry-after']) });
      expect(limited.body.requestId).toEqual(expect.any(String));

      // Another account from the same address is not locked out.
      expect((await t.http.post('/api/auth/login').send({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).status).toBe(
        200,
      );
      throttle.now = Date.now;
    });

    it('limits uploads per user: the third upload within a minute is 429, another user still uploads', async () => {
      const first = await t.createUser();
      const second = await t.createUser();
      for (let index = 0; index < 2; index += 1) {
        const response = await t.http
          .post('/api/uploads')
          .set('Authorization', first.auth)
          .attach('files', content(), 'a.txt');
        expect(response.status).toBe(201);
      }
      const limited = await t.http
        .post('/api/uploads')
        .set('Authorization', first.auth)
        .attach('files', content(), 'a.txt');
      expectError(limited, 429, 'TOO_MANY_REQUESTS');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      // Refused before a byte was stored: nothing recorded for it.
      const { count } = (await t.http.get('/api/pending').set('Authorization', first.auth)).body as { count: number };
      expect(count).toBe(2);

      expect(
        (await t.http.post('/api/uploads').set('Authorization', second.auth).attach('files', content(), 'b.txt'))
          .status,
      ).toBe(201);
    });
  });

  describe('request size limits', () => {
    it('answers a JSON body over 1mb with 413 PAYLOAD_TOO_LARGE', async () => {
      const member = await t.createUser();
      const hashes = Array.from({ length: 20_000 }, (_, index) => index.toString(16).padStart(64, '0'));
      const response = await t.http.post('/api/uploads/check').set('Authorization', member.auth).send({ hashes });
      expectError(response, 413, 'PAYLOAD_TOO_LARGE');
    });

    it('answers an upload declaring more than MAX_REQUEST_BYTES with 413 before reading it', async () => {
      const member = await t.createUser();
      const response = await rawUpload(baseUrl, member.auth, Buffer.alloc(70_000, 'a'), { declareLength: true });
      expect(response.status).toBe(413);
      expect(response.body).toMatchObject({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE' });
    });

    it('answers a chunked upload growing past MAX_REQUEST_BYTES with 413 and records nothing', async () => {
      const member = await t.createUser();
      const response = await rawUpload(baseUrl, member.auth, Buffer.alloc(200_000, 'b'), { declareLength: false });
      expect(response.status).toBe(413);
      expect(response.body).toMatchObject({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE' });
      const { count } = (await t.http.get('/api/pending').set('Authorization', member.auth)).body as { count: number };
      expect(count).toBe(0);
    });

    it('refuses files beyond MAX_FILES_PER_REQUEST one by one with TOO_MANY_FILES, keeping the others', async () => {
      const member = await t.createUser();
      const response = await t.http
        .post('/api/uploads')
        .set('Authorization', member.auth)
        .attach('files', content(), 'one.txt')
        .attach('files', content(), 'two.txt')
        .attach('files', content(), 'three.txt');
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ successCount: 2, errorCount: 1 });
      expect(response.body.results.map((result: { status: string }) => result.status)).toEqual([
        'pending',
        'pending',
        'error',
      ]);
      expect(response.body.results[2]).toMatchObject({
        filename: 'three.txt',
        error: { code: 'TOO_MANY_FILES', message: expect.any(String) },
      });
    });
  });

  describe('headers', () => {
    it('sends security headers on API responses', async () => {
      const response = await t.http.get('/api/health');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['content-security-policy']).toContain("default-src 'self'");
      expect(response.headers['content-security-policy']).toContain("script-src 'self'");
      expect(response.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
      expect(response.headers['strict-transport-security']).toBeDefined();
      expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(response.headers['x-powered-by']).toBeUndefined();
      // Media may be embedded by a frontend on another origin.
      expect(response.headers['cross-origin-resource-policy']).toBe('cross-origin');
    });

    it('keeps the Swagger UI working under the CSP: the page and its assets are served, no inline script', async () => {
      const page = await t.http.get('/api/docs/');
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/text\/html/);
      const html = page.text;
      // script-src 'self' forbids inline scripts: every <script> must load a same-origin file.
      const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length).toBeGreaterThan(0);
      for (const [, attributes, body] of scripts) {
        expect(attributes).toMatch(/src=/);
        expect(body.trim()).toBe('');
      }
      const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)]
        .map((match) => match[1])
        .filter((url) => !url.startsWith('http'));
      expect(assets.length).toBeGreaterThanOrEqual(3);
      for (const asset of assets) {
        const response = await t.http.get(new URL(asset, `${baseUrl}/api/docs/`).pathname);
        expect({ asset, status: response.status }).toEqual({ asset, status: 200 });
      }
      const spec = await t.http.get('/api/docs-json');
      expect(spec.status).toBe(200);
      expect(spec.body.paths['/api/metrics']).toBeDefined();
    });

    it('answers CORS only for the configured origins', async () => {
      const allowed = await t.http
        .options('/api/files')
        .set('Origin', 'https://app.example.com')
        .set('Access-Control-Request-Method', 'GET')
        .set('Access-Control-Request-Headers', 'authorization');
      expect(allowed.status).toBe(204);
      expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(allowed.headers['access-control-allow-headers']).toMatch(/Authorization/i);

      const simple = await t.http.get('/api/health').set('Origin', 'http://localhost:5173');
      expect(simple.headers['access-control-allow-origin']).toBe('http://localhost:5173');
      expect(simple.headers['access-control-expose-headers']).toMatch(/X-Request-Id/);

      const other = await t.http.get('/api/health').set('Origin', 'https://evil.example.net');
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    });
  });
});

/** A multipart upload sent by hand: with a Content-Length, or chunked (the server learns the size as it reads). */
function rawUpload(
  baseUrl: string,
  auth: string,
  bytes: Buffer,
  options: { declareLength: boolean },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const boundary = 'http-limits-boundary';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n` +
      'Content-Type: text/plain\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const body = Buffer.concat([head, bytes, tail]);
  return new Promise((resolve, reject) => {
    const request = http.request(`${baseUrl}/api/uploads`, {
      method: 'POST',
      headers: {
        authorization: auth,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        ...(options.declareLength ? { 'content-length': String(body.length) } : { 'transfer-encoding': 'chunked' }),
      },
    });
    request.on('response', (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }),
      );
    });
    // The server may answer and stop reading before the whole body is sent; the answer is what counts.
    request.on('error', (error) => reject(error));
    for (let offset = 0; offset < body.length; offset += 16_384) request.write(body.subarray(offset, offset + 16_384));
    request.end();
  });
}
