/**
 * GET /api/health answers 200 while both dependencies answer and 503 naming the failing one
 * when one is down, without leaking where it lives (host, port, bucket) or why (driver messages).
 */
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { createTestApp, useTestApp } from '../support/app.js';
import { useTestDatabase } from '../support/database.js';
import { useOwnStorage } from '../support/storage-server.js';

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

describe('health', () => {
  const database = useTestDatabase();
  afterEach(() => jest.restoreAllMocks());

  describe('storage', () => {
    // A storage server of its own: stopping the run's shared one would break every other spec.
    const storage = useOwnStorage();
    const t = useTestApp({ database, env: () => storage.env() });

    it('answers 200 with both checks up, to anonymous callers', async () => {
      const response = await t.http.get('/api/health');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        status: 'ok',
        checks: { database: { status: 'up' }, storage: { status: 'up' } },
      });
    });

    it('answers 503 with checks.storage down when the storage server is stopped, and 200 once it is back', async () => {
      const { endpoint, accessKey } = storage.server;
      await storage.stop();

      const response = await t.http.get('/api/health');
      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({
        status: 'error',
        checks: { database: { status: 'up' }, storage: { status: 'down', error: expect.any(String) } },
      });
      expectNothingInternal(response, t.bucket, new URL(endpoint).port, accessKey);

      await storage.restart();
      const recovered = await t.http.get('/api/health');
      expect(recovered.status).toBe(200);
    });
  });

  describe('database', () => {
    it('answers 503 (checks.database down) while the database is down, API calls 503 too, then recovers', async () => {
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
