/**
 * `npm run migration:run|revert` through the migration CLI, run from the sources in a child
 * process exactly as `node dist/database/migration-cli.js` runs from the build.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMigrations } from '../../src/database/migrator.js';
import { useTestDatabase } from '../support/database.js';
import { withClient } from '../support/test-run.js';

interface CliResult {
  code: number;
  output: string;
}

function cli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', './test/support/register-ts.mjs', join('src', 'database', 'migration-cli.ts'), ...args],
      { env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

describe('migration CLI', () => {
  const database = useTestDatabase({ empty: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'mediavault-cli-'));
  let env: Record<string, string>;

  const appliedMigrations = () =>
    withClient(database.url, async (client) => {
      const present = await client.query(`SELECT to_regclass('migrations') IS NOT NULL AS present`);
      if (!present.rows[0].present) return [];
      return (await client.query<{ name: string }>('SELECT name FROM migrations ORDER BY id')).rows.map(
        (row) => row.name,
      );
    });

  beforeAll(() => {
    env = { DATABASE_URL: database.url, DATA_DIR: dataDir };
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('run applies every migration to an empty database, then has nothing to do', async () => {
    const expected = (await loadMigrations()).map((migration) => new migration().name ?? migration.name);
    const first = await cli(['run'], env);
    expect(first).toMatchObject({ code: 0 });
    expect(first.output).toContain(`Applied ${expected.join(', ')}`);
    expect(await appliedMigrations()).toEqual(expected);

    const second = await cli(['run'], env);
    expect(second.code).toBe(0);
    expect(second.output).toContain('nothing to apply');
    expect(await appliedMigrations()).toEqual(expected);
  });

  it('revert undoes the last migration only, and run applies it again', async () => {
    const before = await appliedMigrations();
    const reverted = await cli(['revert'], env);
    expect(reverted.code).toBe(0);
    expect(reverted.output).toContain(`Reverted ${before.at(-1)}`);
    expect(await appliedMigrations()).toEqual(before.slice(0, -1));

    expect((await cli(['run'], env)).code).toBe(0);
    expect(await appliedMigrations()).toEqual(before);
  });

  it('refuses an unknown command or a bad migration name with the usage (exit code 2), touching nothing', async () => {
    for (const args of [['migrate'], ['generate', 'not a name'], ['run', 'extra']]) {
      const result = await cli(args, env);
      expect(result.code).toBe(2);
      expect(result.output).toContain('usage: node dist/database/migration-cli.js run | revert | generate <Name>');
    }
  });

  it('names the offending variable when the configuration is invalid (exit code 1)', async () => {
    const result = await cli(['run'], { DATABASE_URL: 'mysql://nope', DATA_DIR: dataDir });
    expect(result.code).toBe(1);
    expect(result.output).toContain('DATABASE_URL');
  });
});
