/**
 * what happens at start-up, with several instances on one database. Migrations run under
 * the migrations advisory lock and the first admin is created exactly once, however many instances boot at once.
 */
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { mkdtempSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMigrations, runMigrations } from '../../src/database/migrator.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { createTestDatabase, testBucketName } from '../support/database.js';
import { withClient } from '../support/test-run.js';

const BOOT_ADMIN = 'boot-admin@test.local';

async function queryOne<T>(url: string, sql: string, parameters: unknown[] = []): Promise<T> {
  return withClient(url, async (client) => (await client.query(sql, parameters)).rows[0] as T);
}

/** Messages the admin bootstrap logged with the generated password (Nest's Logger, whatever the log level). */
function generatedPasswordWarnings(spy: { mock: { calls: unknown[][] } }): string[] {
  return spy.mock.calls.map(([message]) => String(message)).filter((message) => message.includes('generated password'));
}

describe('start-up with several instances', () => {
  const databases: Array<{ drop(): Promise<void> }> = [];
  const apps: TestApp[] = [];
  /** The database and DATA_DIR of the two-instance boot, which the restart tests start again on. */
  const booted = { databaseUrl: '', dataDir: '' };

  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    await Promise.allSettled(apps.map((app) => app.close()));
    await Promise.allSettled(databases.map((database) => database.drop()));
  });

  it('two concurrent runMigrations on an empty database both succeed and apply each migration once', async () => {
    const database = await createTestDatabase({ empty: true });
    databases.push(database);
    const expected = (await loadMigrations()).map((migration) => new migration().name ?? migration.name);
    expect(expected.length).toBeGreaterThan(0);

    const [first, second] = await Promise.all([runMigrations(database.url), runMigrations(database.url)]);

    // One of them took the lock and applied everything; the other waited and found nothing left to do.
    expect([...first, ...second].sort()).toEqual([...expected].sort());
    expect([first.length, second.length].sort()).toEqual([0, expected.length]);
    const rows = await withClient(
      database.url,
      async (client) => (await client.query('SELECT name FROM migrations')).rows,
    );
    expect(rows.map(({ name }) => name).sort()).toEqual([...expected].sort());
    expect(await queryOne(database.url, `SELECT to_regclass('public.users') IS NOT NULL AS present`)).toEqual({
      present: true,
    });

    // And again, later: nothing to do.
    expect(await runMigrations(database.url)).toEqual([]);
  });

  it('two instances booting at once on an empty database: migrated once, exactly one admin, both serving', async () => {
    const database = await createTestDatabase({ empty: true });
    databases.push(database);
    const dataDir = mkdtempSync(join(tmpdir(), 'mediavault-boot-'));
    Object.assign(booted, { databaseUrl: database.url, dataDir });
    const warn = jest.spyOn(Logger.prototype, 'warn');
    // ADMIN_PASSWORD empty = unset: a password is generated, printed once and saved under DATA_DIR.
    const env = { ADMIN_EMAIL: BOOT_ADMIN, ADMIN_PASSWORD: '', DATA_DIR: dataDir };
    const bucket = testBucketName();

    const instances = await Promise.all([
      createTestApp({ databaseUrl: database.url, bucket, env }),
      createTestApp({ databaseUrl: database.url, bucket, env }),
    ]);
    apps.push(...instances);

    const admins = await queryOne<{ count: number }>(
      database.url,
      `SELECT count(*)::int AS count FROM users WHERE lower(email) = lower($1) AND role = 'admin'`,
      [BOOT_ADMIN],
    );
    expect(admins.count).toBe(1);
    const migrations = await queryOne<{ count: number; distinct: number }>(
      database.url,
      'SELECT count(*)::int AS count, count(DISTINCT name)::int AS distinct FROM migrations',
    );
    expect(migrations.count).toBe((await loadMigrations()).length);
    expect(migrations.distinct).toBe(migrations.count);

    // Printed once, by the instance whose insert won, and saved (owner-only) for whoever missed the log.
    const warnings = generatedPasswordWarnings(warn);
    expect(warnings).toHaveLength(1);
    const file = join(dataDir, 'initial-admin-password');
    const [email, password] = (await readFile(file, 'utf8')).split('\n');
    expect(email).toBe(BOOT_ADMIN);
    expect(password.length).toBeGreaterThanOrEqual(16);
    expect(warnings[0]).toContain(password);
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    for (const app of instances) {
      expect((await app.http.get('/api/health')).status).toBe(200);
      const login = await app.http.post('/api/auth/login').send({ email: BOOT_ADMIN, password });
      expect(login.status).toBe(200);
      expect(login.body.user.role).toBe('admin');
    }
  });

  it('a restart is idempotent: no second admin, no new password, the saved one still works', async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    const { databaseUrl, dataDir } = booted;
    const file = join(dataDir, 'initial-admin-password');
    const before = await readFile(file, 'utf8');
    const warn = jest.spyOn(Logger.prototype, 'warn');

    const restarted = await createTestApp({
      databaseUrl,
      env: { ADMIN_EMAIL: BOOT_ADMIN, ADMIN_PASSWORD: '', DATA_DIR: dataDir },
    });
    apps.push(restarted);
    expect(generatedPasswordWarnings(warn)).toEqual([]);
    expect(await readFile(file, 'utf8')).toBe(before);
    const users = await queryOne<{ count: number }>(databaseUrl, `SELECT count(*)::int AS count FROM users`);
    expect(users.count).toBe(1);
    const password = before.split('\n')[1];
    expect((await restarted.http.post('/api/auth/login').send({ email: BOOT_ADMIN, password })).status).toBe(200);
  });

  it('a later ADMIN_PASSWORD does not overwrite an existing admin (it is only created when missing)', async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    const { databaseUrl, dataDir } = booted;
    const password = (await readFile(join(dataDir, 'initial-admin-password'), 'utf8')).split('\n')[1];

    const restarted = await createTestApp({
      databaseUrl,
      env: { ADMIN_EMAIL: BOOT_ADMIN.toUpperCase(), ADMIN_PASSWORD: 'a-new-password-123', DATA_DIR: dataDir },
    });
    apps.push(restarted);
    expect((await restarted.http.post('/api/auth/login').send({ email: BOOT_ADMIN, password })).status).toBe(200);
    expect(
      (await restarted.http.post('/api/auth/login').send({ email: BOOT_ADMIN, password: 'a-new-password-123' })).status,
    ).toBe(401);
    const users = await queryOne<{ count: number }>(databaseUrl, `SELECT count(*)::int AS count FROM users`);
    expect(users.count).toBe(1);
  });

  it('with ADMIN_PASSWORD set, the first admin gets it and no password is printed or saved', async () => {
    const database = await createTestDatabase({ empty: true });
    databases.push(database);
    const dataDir = mkdtempSync(join(tmpdir(), 'mediavault-boot-'));
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const app = await createTestApp({
      databaseUrl: database.url,
      env: { ADMIN_EMAIL: BOOT_ADMIN, ADMIN_PASSWORD: 'given-password-123', DATA_DIR: dataDir },
    });
    apps.push(app);
    expect(generatedPasswordWarnings(warn)).toEqual([]);
    await expect(stat(join(dataDir, 'initial-admin-password'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await app.login(BOOT_ADMIN, 'given-password-123')).toMatch(/^Bearer /);
  });
});
