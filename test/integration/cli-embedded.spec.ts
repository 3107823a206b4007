/**
 * `npm start` and the CLI on one embedded DATA_DIR, as a developer uses them: the server (src/main.ts, embedded
 * PostgreSQL and S3 server, nothing else configured) publishes its services in `<DATA_DIR>/runtime.json`, a CLI run
 * beside it uses them instead of starting a second PostgreSQL on the same cluster (which PostgreSQL refuses), and
 * once the server is gone the CLI starts its own again.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCli } from '../support/cli.js';
import { waitUntil } from '../support/wait.js';

const ADMIN = { email: 'attach-admin@test.local', password: 'attach-admin-password-1' };

let work: string;
let dataDir: string;
let server: ChildProcess | undefined;
let port: number;

/** Only what a developer's shell would have: no database, storage or secret configured. */
function embeddedEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (/^(DATABASE_URL|S3_|JWT_SECRET)/.test(name)) delete env[name];
  return {
    ...env,
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    SCHEDULED_JOBS_ENABLED: 'false',
    ...extra,
  };
}

/** `npm start` from the sources: src/main.ts with its embedded defaults. */
function startServer(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', './test/support/register-ts.mjs', 'src/main.ts'], {
    cwd: process.cwd(),
    env: embeddedEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function cli(args: string[], env: Record<string, string> = {}) {
  return startCli(args, embeddedEnv(env)).done;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port: free } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return free;
}

const published = () => join(dataDir, 'runtime.json');

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mediavault-attach-'));
  // The embedded PostgreSQL runs as the `postgres` user when we are root: it must be able to reach DATA_DIR.
  chmodSync(work, 0o711);
  dataDir = join(work, 'data');
  port = await freePort();
  server = startServer({ PORT: String(port) });
  let output = '';
  server.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  server.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<never>((_, reject) =>
    server!.on('exit', (code) => reject(new Error(`server exited (${code}):\n${output}`))),
  );
  await Promise.race([
    waitUntil(
      'the server to be healthy',
      async () => (await fetch(`http://127.0.0.1:${port}/api/health`)).status === 200,
      {
        timeoutMs: 60_000,
        intervalMs: 200,
        retryOnError: true,
      },
    ),
    exited,
  ]);
});

afterAll(async () => {
  if (server && server.exitCode === null) {
    server.kill('SIGKILL');
    await new Promise((resolve) => server!.on('exit', resolve));
  }
  rmSync(work, { recursive: true, force: true });
});

describe('the CLI beside a server on the same embedded DATA_DIR', () => {
  it('uses the running server’s database and storage', async () => {
    const services = JSON.parse(readFileSync(published(), 'utf8')) as { pid: number; database: { url: string } };
    expect(services).toMatchObject({
      pid: server!.pid,
      database: { url: expect.any(String) },
      storage: { endpoint: expect.any(String) },
    });

    const created = await cli(['users:create', 'attached@test.local', '--role', 'member', '--json', '--verbose'], {
      MEDIAVAULT_PASSWORD: 'attached-password-1',
    });
    expect({ code: created.code, stderr: created.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    expect(created.stderr).toMatch(/embedded PostgreSQL of process \d+/);
    // The server sees the user the CLI created: one database.
    const login = await fetch(`http://127.0.0.1:${port}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'attached@test.local', password: 'attached-password-1' }),
    });
    expect(login.status).toBe(200);

    const verify = await cli(['verify', '--json']);
    expect(verify.code).toBe(0);
    expect(verify.json).toMatchObject({ missing: 0, corrupt: 0 });
    // The CLI leaves the server's services and their publication alone.
    expect(existsSync(published())).toBe(true);
    expect((await fetch(`http://127.0.0.1:${port}/api/health`)).status).toBe(200);
  });

  it('starts its own services again once the server has stopped', async () => {
    server!.kill('SIGTERM');
    expect(await new Promise((resolve) => server!.on('exit', resolve))).toBe(0);
    expect(existsSync(published())).toBe(false);

    const gc = await cli(['gc', '--json', '--verbose']);
    expect(gc.code).toBe(0);
    expect(gc.stderr).toMatch(/Database: embedded PostgreSQL on 127\.0\.0\.1/);
    expect(existsSync(published())).toBe(false);
  });
});
