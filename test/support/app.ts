/**
 * Boots the real application (same pipes, filters, guards, body limits as production) against a spec file's own
 * database and bucket. Several instances may be created on one database to test multi-instance behaviour.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type TestAgent from 'supertest/lib/agent.js';
import { createApp, type CreateAppOptions } from '../../src/app.factory.js';
import { buildOpenApiDocument } from '../../src/common/openapi/document.js';
import { UsersService } from '../../src/auth/users.service.js';
import type { UserRole } from '../../src/auth/user.entity.js';
import { testBucketName } from './database.js';
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

export async function createTestApp(options: TestAppOptions): Promise<TestApp> {
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL: options.databaseUrl,
    S3_BUCKET: options.bucket ?? testBucketName(),
    JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256-0123456789',
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    SCHEDULED_JOBS_ENABLED: 'false',
    // Specs log in and upload far faster than any person; the limits have their own spec (ops-limits).
    LOGIN_RATE_LIMIT: '0',
    UPLOAD_RATE_LIMIT: '0',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'mediavault-app-')),
    ...options.env,
  };
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
  // Every response is checked against the OpenAPI document (see openapi-check.ts).
  const http = checkedRequest(app.getHttpServer(), () => buildOpenApiDocument(app));
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
