/**
 * Issue 2 (foundation): GET /api/health answers 200 while both dependencies answer and 503 naming the failing one
 * when one is down, without leaking where it lives (host, port, bucket) or why (driver messages).
 */
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedS3, type EmbeddedS3 } from '../../src/embedded/embedded-s3.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { createTestDatabase, testBucketName, type TestDatabase } from '../support/database.js';

type HttpResponse = { status: number; body: Record<string, unknown> };

function expectNothingInternal(response: HttpResponse, ...secrets: string[]): void {
  const text = JSON.stringify(response.body);
  expect(text).not.toMatch(/127\.0\.0\.1|localhost|ECONNREFUSED|terminated|stack|S3Error|\.ts:\d+/i);
  for (const secret of secrets) expect(text).not.toContain(secret);
}

/**
 * A TCP relay between the app and PostgreSQL that the test can cut (every connection dropped, new ones refused)
 * and restore on the same port: the database becomes unreachable without stopping the server the run shares.
 */
async function startRelay(target: { host: string; port: number }, port = 0) {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('foundation: health', () => {
  let database: TestDatabase;
  const savedEnv = { ...process.env };
  afterAll(() => {
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
  });
  beforeAll(async () => (database = await createTestDatabase()));
  afterAll(() => database?.drop());
  afterEach(() => jest.restoreAllMocks());

  describe('storage', () => {
    let s3: EmbeddedS3;
    let directory: string;
    let t: TestApp;
    const bucket = testBucketName();

    beforeAll(async () => {
      // A storage server of its own: stopping the run's shared one would break every other spec.
      directory = mkdtempSync(join(tmpdir(), 'mediavault-health-s3-'));
      s3 = await startEmbeddedS3({ directory });
      t = await createTestApp({
        databaseUrl: database.url,
        bucket,
        env: { S3_ENDPOINT: s3.endpoint, S3_ACCESS_KEY: s3.accessKey, S3_SECRET_KEY: s3.secretKey, S3_REGION: s3.region },
      });
    });
    afterAll(async () => {
      await t?.close();
      await s3?.stop();
      await rm(directory, { recursive: true, force: true });
    });

    it('answers 200 with both checks up, to anonymous callers', async () => {
      const response = await t.http.get('/api/health');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ status: 'ok', checks: { database: { status: 'up' }, storage: { status: 'up' } } });
    });

    it('answers 503 with checks.storage down when the storage server is stopped, and 200 once it is back', async () => {
      const port = Number(new URL(s3.endpoint).port);
      await s3.stop();

      const response = await t.http.get('/api/health');
      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({
        status: 'error',
        checks: { database: { status: 'up' }, storage: { status: 'down', error: expect.any(String) } },
      });
      expectNothingInternal(response, bucket, String(port), s3.accessKey);

      s3 = await startEmbeddedS3({ directory, port });
      const recovered = await t.http.get('/api/health');
      expect(recovered.status).toBe(200);
    });
  });

  describe('database', () => {
    it('answers 503 with checks.database down when the database is unreachable, API calls 503 too, then recovers', async () => {
      const target = new URL(database.url);
      let relay = await startRelay({ host: target.hostname, port: Number(target.port) });
      const viaRelay = new URL(database.url);
      viaRelay.port = String(relay.port);
      const t = await createTestApp({ databaseUrl: viaRelay.toString() });
      try {
        const admin = await t.adminAuth();
        expect((await t.http.get('/api/health')).status).toBe(200);

        await relay.cut();
        jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
        const response = await t.http.get('/api/health');
        expect(response.status).toBe(503);
        expect(response.body).toMatchObject({
          status: 'error',
          checks: { database: { status: 'down', error: expect.any(String) }, storage: { status: 'up' } },
        });
        expectNothingInternal(response, String(relay.port), target.password, target.pathname.slice(1));

        // Any request needing the database says "unavailable, retry", not "internal error".
        const users = await t.http.get('/api/users').set('Authorization', admin);
        expect(users.status).toBe(503);
        expect(users.body).toMatchObject({ statusCode: 503, code: 'DATABASE_UNAVAILABLE' });
        expectNothingInternal(users, String(relay.port), target.password);

        relay = await startRelay({ host: target.hostname, port: Number(target.port) }, relay.port);
        expect((await t.http.get('/api/health')).status).toBe(200);
        expect((await t.http.get('/api/users').set('Authorization', admin)).status).toBe(200);
      } finally {
        await t.close();
        await relay.cut();
      }
    });
  });
});
