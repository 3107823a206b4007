/**
 * The one test harness: boots the real application (same pipes, filters, guards, body limits as production) against
 * a spec file's own database and bucket. Specs call `useTestApp()`, which registers the set-up and the teardown;
 * `createTestApp()` is for an instance a test starts and stops itself. Several instances may share one database
 * (and bucket) to test multi-instance behaviour:
 *
 *   const t = useTestApp({ env: { ORPHAN_GRACE_MINUTES: '0' } });
 *
 *   const database = useTestDatabase();
 *   const a = useTestApp({ database, bucket });
 *   const b = useTestApp({ database, bucket });
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type TestAgent from 'supertest/lib/agent.js';
import { createApp, type CreateAppOptions } from '../../src/app.factory.js';
import type { OpenAPIObject } from '@nestjs/swagger';
import { buildOpenApiDocument } from '../../src/common/openapi/document.js';
import { buildOfflineOpenApiDocument } from '../../src/common/openapi/offline-document.js';
import { UsersService } from '../../src/auth/users.service.js';
import type { UserRole } from '../../src/auth/user.entity.js';
import { testBucketName, useTestDatabase, type UsedTestDatabase } from './database.js';
import { checkedRequest } from './openapi-check.js';

export const ADMIN_EMAIL = 'admin@test.local';
export const ADMIN_PASSWORD = 'admin-password-123';
export const MEMBER_PASSWORD = 'member-password-123';

export interface TestApp {
  app: NestExpressApplication;
  http: TestAgent;
  /** `Authorization` header value for a fresh login. */
  login(email: string, password: string): Promise<string>;
  adminAuth(): Promise<string>;
  /** Creates a user directly and answers its `Authorization` header and id. */
  createUser(role?: UserRole, email?: string): Promise<{ id: string; email: string; auth: string }>;
  get<T>(token: abstract new (...args: never[]) => T): T;
  close(): Promise<void>;
}

export interface TestAppOptions {
  databaseUrl: string;
  /** Defaults to a new bucket per call; pass the same name to share a bucket between instances. */
  bucket?: string;
  env?: Record<string, string>;
  /** Listen on a real port (needed to follow presigned URLs or to cut connections). */
  listen?: boolean;
  /** Overrides for `createApp` (say, a log destination to read); logging is quiet (errors only) by default. */
  appOptions?: CreateAppOptions;
}

let userCounter = 0;

let offlineDocument: Promise<OpenAPIObject> | undefined;

/** The API's document, built once per spec file without an app (as `npm run generate:api` does). */
function apiDocument(): Promise<OpenAPIObject> {
  return (offlineDocument ??= buildOfflineOpenApiDocument());
}

/** The environment a test instance runs with, in this process or in a child process (`startChildApp`). */
export function testAppEnv(options: Pick<TestAppOptions, 'databaseUrl' | 'bucket' | 'env'>): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: options.databaseUrl,
    S3_BUCKET: options.bucket ?? testBucketName(),
    JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256-0123456789',
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    SCHEDULED_JOBS_ENABLED: 'false',
    // No background rendering: the renditions specs drive the worker themselves (`processDue`).
    MEDIAVAULT_ROLE: 'api',
    // A spec's worker-role app may run inside the Jest process: it must not lower the priority of the whole run.
    RENDITION_WORKER_NICE: '0',
    // Parallel spec files keep the host busy: renders must not wait for it (the yielding has its own spec).
    RENDITION_YIELD_SECONDS: '0',
    // Specs log in and upload far faster than any person; the limits have their own spec (http-limits).
    LOGIN_RATE_LIMIT: '0',
    LOGIN_ADDRESS_RATE_LIMIT: '0',
    UPLOAD_RATE_LIMIT: '0',
    UPLOAD_CONCURRENCY_PER_USER: '0',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'mediavault-app-')),
    ...options.env,
  };
}

export async function createTestApp(options: TestAppOptions): Promise<TestApp> {
  const env = testAppEnv(options);
  // Configuration is read once, while the app boots; the environment is put back afterwards so one spec's
  // overrides (say, a storage server it stops) never leak into the next spec file of this worker.
  const previous = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, env);
  let app: NestExpressApplication;
  try {
    app = await createApp({ logger: ['error'], ...options.appOptions });
    if (options.listen) await app.listen(0, '127.0.0.1');
    else await app.init();
  } finally {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  // Every response is checked against the OpenAPI document (see openapi-check.ts). A worker-role app runs the lean
  // WorkerAppModule, whose own document would name only health and metrics: its answers (the 503s included) are
  // checked against the API's document, the one every other app of the spec file builds.
  const workerDocument = env.MEDIAVAULT_ROLE === 'worker' ? await apiDocument() : undefined;
  const http = checkedRequest(app.getHttpServer(), () => workerDocument ?? buildOpenApiDocument(app));
  let adminAuthorization: string | undefined;

  const login = async (email: string, password: string) => {
    const response = await http.post('/api/auth/login').send({ email, password });
    if (response.status !== 200) throw new Error(`login failed: ${response.status} ${JSON.stringify(response.body)}`);
    return `Bearer ${response.body.accessToken as string}`;
  };

  return {
    app,
    http,
    login,
    adminAuth: async () => (adminAuthorization ??= await login(ADMIN_EMAIL, ADMIN_PASSWORD)),
    createUser: async (role: UserRole = 'member', email?: string) => {
      userCounter += 1;
      const address = email ?? `user${userCounter}-${Date.now()}@test.local`;
      const user = await app.get(UsersService).create(address, MEMBER_PASSWORD, role);
      return { id: user.id, email: user.email, auth: await login(address, MEMBER_PASSWORD) };
    },
    get: (token) => app.get(token as never),
    close: () => app.close(),
  };
}

export interface UseTestAppOptions extends Omit<TestAppOptions, 'databaseUrl' | 'env'> {
  /** A database from `useTestDatabase()` shared with other instances; by default the app gets one of its own. */
  database?: UsedTestDatabase;
  /** Read in `beforeAll`, so it may use what the spec's earlier `beforeAll` hooks started (say, a storage server). */
  env?: Record<string, string> | (() => Record<string, string>);
}

/** A `TestApp` that exists from `beforeAll` to `afterAll`, with the database and bucket it runs on. */
export interface UsedTestApp extends TestApp {
  readonly databaseUrl: string;
  readonly bucket: string;
}

/**
 * Registers `beforeAll`/`afterAll` hooks in the calling `describe` (or file) that boot the app and close it (and drop
 * its database when it has its own). Hooks run in the order they are declared: a spec's own `beforeAll` declared
 * after this call sees the app running.
 */
export function useTestApp(options: UseTestAppOptions = {}): UsedTestApp {
  const { database: shared, env, bucket = testBucketName(), ...rest } = options;
  const database = shared ?? useTestDatabase();
  let current: TestApp | undefined;
  const running = (): TestApp => {
    if (!current) throw new Error('useTestApp: the app runs from beforeAll until afterAll');
    return current;
  };
  const close = async () => {
    const app = current;
    current = undefined;
    await app?.close();
  };
  beforeAll(async () => {
    const settings = typeof env === 'function' ? env() : env;
    current = await createTestApp({ ...rest, databaseUrl: database.url, bucket, env: settings });
  });
  database.closeBeforeDrop(close);
  afterAll(close);
  return {
    get app() {
      return running().app;
    },
    get http() {
      return running().http;
    },
    login: (email, password) => running().login(email, password),
    adminAuth: () => running().adminAuth(),
    createUser: (role, email) => running().createUser(role, email),
    get: (token) => running().get(token),
    close,
    get databaseUrl() {
      return database.url;
    },
    bucket,
  };
}
