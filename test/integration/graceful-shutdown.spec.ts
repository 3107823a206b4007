/**
 * Graceful shutdown, on a server in a process of its own: SIGTERM stops new connections at once, lets an upload
 * in flight finish and be recorded, then the process exits 0; past SHUTDOWN_TIMEOUT_SECONDS an unfinished upload is
 * cut and leaves no record behind.
 */
import http from 'node:http';
import { connect } from 'node:net';
import { once } from 'node:events';
import pg from 'pg';
import { ADMIN_EMAIL, ADMIN_PASSWORD, testAppEnv } from '../support/app.js';
import { startChildApp, type ChildApp } from '../support/child-app.js';
import { useTestDatabase } from '../support/database.js';
import { content, sha256 } from '../support/files.js';
import { waitUntil } from '../support/wait.js';

const BOUNDARY = 'graceful-shutdown-boundary';

describe('graceful shutdown', () => {
  const database = useTestDatabase();
  let child: ChildApp | undefined;

  afterEach(async () => {
    await child?.kill();
    child = undefined;
  });

  const start = (env: Record<string, string> = {}) => startChildApp(testAppEnv({ databaseUrl: database.url, env }));

  it('on SIGTERM refuses new connections, finishes the upload in flight (201, recorded) and exits 0', async () => {
    child = await start({ SHUTDOWN_TIMEOUT_SECONDS: '30' });
    const auth = await login(child.url);
    const bytes = content('shutdown-in-flight');
    const upload = slowUpload(child.url, auth, bytes);
    await upload.started; // the server is reading the body

    const exited = once(child.process, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    child.process.kill('SIGTERM');
    await waitUntil('the server to stop accepting connections', async () => !(await accepts(child!.url)), {
      timeoutMs: 5_000,
    });
    expect(child.process.exitCode).toBeNull(); // still serving the upload

    upload.finish();
    const response = await upload.response;
    expect(response.status).toBe(201);
    expect(response.body.results[0]).toMatchObject({ status: 'pending', hash: sha256(bytes) });
    expect(await exited).toEqual([0, null]);
    expect(await pendingFilesWithHash(database.url, sha256(bytes))).toBe(1);
  });

  it('cuts an upload still unfinished at SHUTDOWN_TIMEOUT_SECONDS, records nothing and exits 0', async () => {
    child = await start({ SHUTDOWN_TIMEOUT_SECONDS: '1' });
    const auth = await login(child.url);
    const bytes = content('shutdown-cut');
    const upload = slowUpload(child.url, auth, bytes);
    await upload.started;

    const exited = once(child.process, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const signalled = Date.now();
    child.process.kill('SIGTERM');
    expect(await exited).toEqual([0, null]);
    expect(Date.now() - signalled).toBeGreaterThanOrEqual(900);
    await expect(upload.response).rejects.toThrow();
    expect(await pendingFilesWithHash(database.url, sha256(bytes))).toBe(0);
  });

  it('exits 0 at once on SIGTERM when idle, even with a keep-alive connection open', async () => {
    child = await start();
    const agent = new http.Agent({ keepAlive: true });
    const health = await new Promise<number>((resolve, reject) =>
      http
        .get(`${child!.url}/api/health`, { agent }, (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        })
        .on('error', reject),
    );
    expect(health).toBe(200);
    const exited = once(child.process, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const signalled = Date.now();
    child.process.kill('SIGTERM');
    expect(await exited).toEqual([0, null]);
    expect(Date.now() - signalled).toBeLessThan(5_000); // not held open until the keep-alive timeout
    agent.destroy();
  });
});

async function login(url: string): Promise<string> {
  const response = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
  });
  const body = (await response.json()) as { accessToken: string };
  return `Bearer ${body.accessToken}`;
}

/**
 * A multipart upload whose body is sent in two halves: `started` resolves once the first half (which ends inside
 * the file part) has been sent and the server had time to start streaming it; `finish()` sends the rest.
 */
function slowUpload(url: string, auth: string, bytes: Buffer) {
  const head = Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="slow.txt"\r\n` +
      'Content-Type: text/plain\r\n\r\n',
  );
  const body = Buffer.concat([head, bytes, Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]);
  const split = head.length + Math.floor(bytes.length / 2);
  const request = http.request(`${url}/api/uploads`, {
    method: 'POST',
    headers: {
      authorization: auth,
      'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
      'content-length': String(body.length),
    },
  });
  const response = new Promise<{ status: number; body: { results: Array<Record<string, unknown>> } }>(
    (resolve, reject) => {
      request.on('response', (incoming) => {
        let text = '';
        incoming.on('data', (chunk: Buffer) => (text += chunk.toString()));
        incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body: JSON.parse(text) }));
        incoming.on('error', reject);
      });
      request.on('error', reject);
    },
  );
  response.catch(() => undefined); // observed by the test when it matters
  request.write(body.subarray(0, split));
  const started = new Promise<void>((resolve) => setTimeout(resolve, 500));
  return { started, response, finish: () => request.end(body.subarray(split)) };
}

/** Whether the server still accepts TCP connections. */
function accepts(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function pendingFilesWithHash(databaseUrl: string, hash: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const result = await client.query<{ count: string }>(`SELECT count(*) FROM pending_files WHERE hash = $1`, [hash]);
    return Number(result.rows[0].count);
  } finally {
    await client.end();
  }
}
