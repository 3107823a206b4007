/**
 * The CLI as scripts use it: a child process (`node --import register-ts.mjs src/cli/main.ts …`, no build needed)
 * against this spec's own database and bucket; exit codes, --json output, the rows it leaves, and re-runs
 * (including after an interruption) that never duplicate anything.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../support/app.js';
import { startCli } from '../support/cli.js';
import { testBucketName, useTestDatabase } from '../support/database.js';
import { solidImage } from '../support/media.js';

const database = useTestDatabase();
const bucket = testBucketName();
let work: string;

function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    S3_BUCKET: bucket,
    JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256-0123456789',
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    DATA_DIR: join(work, 'data'),
    ...extra,
  };
}

/** The CLI against this spec's database and bucket. */
function launch(args: string[], env: Record<string, string> = {}) {
  return startCli(args, cliEnv(env));
}

const cli = async (args: string[], env?: Record<string, string>) => {
  const result = await launch(args, env).done;
  if (process.env.DEBUG_CLI) console.log(args.join(' '), result.code, result.stdout, result.stderr);
  return result;
};

async function query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

function makeTree(root: string, files: Record<string, string | Buffer>): string {
  for (const [path, body] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), body);
  }
  return root;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const text = (label: string) => `mediavault cli test ${label} ${randomBytes(6).toString('hex')}\n`;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'mediavault-cli-'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('mediavault CLI', () => {
  it('answers usage errors with exit code 2', async () => {
    expect((await cli(['no-such-command'])).code).toBe(2);
    expect((await cli(['import'])).code).toBe(2);
    expect((await cli(['import', join(work, 'missing'), '--json'])).code).toBe(2);
  });

  describe('import', () => {
    let tree: string;
    const shared = text('shared');
    const b = text('b');
    const c = `# ${text('c')}`;

    beforeAll(() => {
      tree = makeTree(join(work, 'tree'), {
        'a.txt': shared,
        'nested/b.txt': b,
        'nested/deeper/a-copy.txt': shared,
        'nested/deeper/c.md': c,
      });
    });

    it('imports a tree as pending files, once per content, keeping the folders', async () => {
      const result = await cli(['import', tree, '--folder', 'imports', '--json']);
      expect(result.code).toBe(0);
      expect(result.json).toMatchObject({
        files: 4,
        imported: 3,
        approved: 0,
        skipped: 1,
        skippedBy: { exists: 0, pending: 0, duplicate: 1 },
        failed: 0,
        interrupted: false,
      });
      expect(result.json.bytes).toBe([shared, b, c].reduce((total, body) => total + Buffer.byteLength(body), 0));

      const rows = await query<{ original_filename: string; folder_path: string; status: string; email: string }>(
        `SELECT p.original_filename, p.folder_path, p.status, u.email
           FROM pending_files p JOIN users u ON u.id = p.uploaded_by ORDER BY p.original_filename`,
      );
      expect(rows).toEqual([
        { original_filename: 'a.txt', folder_path: '/imports', status: 'pending', email: ADMIN_EMAIL },
        { original_filename: 'b.txt', folder_path: '/imports/nested', status: 'pending', email: ADMIN_EMAIL },
        { original_filename: 'c.md', folder_path: '/imports/nested/deeper', status: 'pending', email: ADMIN_EMAIL },
      ]);
      expect(await query(`SELECT hash FROM stored_objects`)).toHaveLength(3);
    });

    it('runs again without sending or recording anything twice', async () => {
      const result = await cli(['import', tree, '--folder', 'imports', '--json']);
      expect(result.code).toBe(0);
      expect(result.json).toMatchObject({
        imported: 0,
        bytes: 0,
        skipped: 4,
        skippedBy: { exists: 0, pending: 3, duplicate: 1 },
      });
      expect(await query(`SELECT id FROM pending_files`)).toHaveLength(3);
      expect(await query(`SELECT hash FROM stored_objects`)).toHaveLength(3);
    });

    it('--approve turns what is pending into media files without resending it, then skips them', async () => {
      const approved = await cli(['import', tree, '--approve', '--json']);
      expect(approved.code).toBe(0);
      expect(approved.json).toMatchObject({ imported: 0, approved: 3, bytes: 0, skippedBy: { duplicate: 1 } });
      const media = await query<{ title: string }>(`SELECT title FROM media_files ORDER BY title`);
      expect(media.map((row) => row.title)).toEqual(['a', 'b', 'c']);

      const again = await cli(['import', tree, '--approve', '--json']);
      expect(again.code).toBe(0);
      expect(again.json).toMatchObject({
        imported: 0,
        approved: 0,
        skipped: 4,
        skippedBy: { exists: 3, duplicate: 1 },
      });
      expect(await query(`SELECT id FROM media_files`)).toHaveLength(3);
    });

    it('reports refused files with exit code 3 and imports the rest; prints a summary without --json', async () => {
      const mixed = makeTree(join(work, 'mixed'), { 'empty.txt': '', 'good.txt': text('good') });
      const result = await cli(['import', mixed, '--json']);
      expect(result.code).toBe(3);
      expect(result.json).toMatchObject({ files: 2, imported: 1, failed: 1 });
      expect(result.json.failures).toEqual([{ path: 'empty.txt', code: 'EMPTY_FILE', message: expect.any(String) }]);

      const human = await cli(['import', mixed]);
      expect(human.code).toBe(3);
      expect(human.stdout).toMatch(/skipped\s+1/);
      expect(human.stderr).toMatch(/failed: empty\.txt: EMPTY_FILE/);
    });

    it('stops cleanly on SIGINT (exit 130); a re-run, even after a SIGKILL, completes without duplicates', async () => {
      // Enough data that the import is still running when the signals arrive.
      const count = 300;
      const files: Record<string, string> = {};
      for (let i = 0; i < count; i++) files[`d${i % 5}/f${i}.txt`] = text(`bulk-${i}`).repeat(1200);
      const bulk = makeTree(join(work, 'bulk'), files);
      const before = (await query(`SELECT id FROM pending_files`)).length;
      const imported = async () => (await query(`SELECT id FROM pending_files`)).length - before;

      const waitForSome = async (atLeast: number) => {
        for (let i = 0; i < 300 && (await imported()) < atLeast; i++) await new Promise((r) => setTimeout(r, 100));
      };

      const interrupted = launch(['import', bulk, '--json']);
      await waitForSome(5);
      interrupted.child.kill('SIGINT');
      const first = await interrupted.done;
      expect(first.code).toBe(130);
      expect(first.json).toMatchObject({ interrupted: true });
      expect(first.json.imported).toBeLessThan(count);
      expect(await imported()).toBe(first.json.imported);

      const killed = launch(['import', bulk, '--json']);
      await waitForSome((first.json.imported as number) + 5);
      killed.child.kill('SIGKILL');
      await killed.done;

      const last = await cli(['import', bulk, '--json']);
      expect(last.code).toBe(0);
      expect(last.json).toMatchObject({ files: count, failed: 0, interrupted: false });
      expect((last.json.imported as number) + (last.json.skipped as number)).toBe(count);
      expect(await imported()).toBe(count);
      const duplicates = await query(`SELECT hash FROM pending_files GROUP BY hash HAVING count(*) > 1`);
      expect(duplicates).toEqual([]);
      // Every file was recorded with its exact bytes (sha256 of the local file).
      const recorded = await query<{ hash: string }>(`SELECT hash FROM pending_files WHERE folder_path LIKE '/d%'`);
      expect(new Set(recorded.map((row) => row.hash))).toEqual(
        new Set(Object.values(files).map((body) => createHash('sha256').update(body).digest('hex'))),
      );
    });
  });

  describe('users and jobs', () => {
    it('users:create reads MEDIAVAULT_PASSWORD; a taken email fails (1); a bad role is a usage error (2)', async () => {
      const created = await cli(['users:create', 'editor@test.local', '--role', 'member', '--json'], {
        MEDIAVAULT_PASSWORD: 'editor-password-1',
      });
      expect(created.code).toBe(0);
      expect(created.json).toMatchObject({ email: 'editor@test.local', role: 'member', id: expect.any(String) });
      expect(created.stdout).not.toContain('editor-password-1');
      expect(JSON.stringify(created.json)).not.toMatch(/hash/i);

      const taken = await cli(['users:create', 'EDITOR@test.local', '--json'], {
        MEDIAVAULT_PASSWORD: 'editor-password-1',
      });
      expect(taken.code).toBe(1);
      expect(taken.stderr).toMatch(/already exists/);

      expect(
        (await cli(['users:create', 'x@test.local', '--role', 'owner'], { MEDIAVAULT_PASSWORD: 'long-enough-1' })).code,
      ).toBe(2);
      // No password anywhere and no terminal to ask on.
      expect((await cli(['users:create', 'y@test.local'])).code).toBe(2);
    });

    it('imports as another user with --as', async () => {
      const tree = makeTree(join(work, 'as-user'), { 'mine.txt': text('mine') });
      const result = await cli(['import', tree, '--as', 'editor@test.local', '--json']);
      expect(result.code).toBe(0);
      const [row] = await query<{ email: string }>(
        `SELECT u.email FROM pending_files p JOIN users u ON u.id = p.uploaded_by
          WHERE p.original_filename = 'mine.txt'`,
      );
      expect(row.email).toBe('editor@test.local');
      expect((await cli(['import', tree, '--as', 'nobody@test.local', '--json'])).code).toBe(1);
    });

    it('search:check finds a damaged search index (exit 1); --repair makes it right again (exit 0)', async () => {
      const right = await cli(['search:check', '--json']);
      expect(right.code).toBe(0);
      expect(right.json).toMatchObject({ missingTerms: 0, staleTerms: 0, miscountedCounters: 0 });

      // A file loses a term and gains a bogus one; a counter drifts.
      const [victim] = await query<{ term: string; media_file_id: string }>(
        `SELECT term, media_file_id FROM media_search_terms WHERE term NOT LIKE ':%' ORDER BY term LIMIT 1`,
      );
      expect(victim).toBeDefined();
      await query(`DELETE FROM media_search_terms WHERE term = $1 AND media_file_id = $2`, [
        victim.term,
        victim.media_file_id,
      ]);
      await query(
        `INSERT INTO media_search_terms
           (term, media_file_id, weight, created_at, access_level, created_by, file_type, shared_prefix)
         SELECT 'bogusterm', media_file_id, weight, created_at, access_level, created_by, file_type, 0
           FROM media_search_terms WHERE media_file_id = $1 LIMIT 1`,
        [victim.media_file_id],
      );
      await query(
        `INSERT INTO media_search_term_count_changes (term, shared_prefix, access_level, created_by, files)
         VALUES ('driftedword', 0, 'public', '00000000-0000-0000-0000-000000000000', 5)`,
      );
      const damaged = await cli(['search:check', '--json']);
      expect(damaged.code).toBe(1);
      expect(damaged.json).toMatchObject({ missingTerms: 1, staleTerms: 1, miscountedCounters: 1 });
      const text = await cli(['search:check']);
      expect(text.code).toBe(1);
      expect(text.stderr).toContain(`missing: ${JSON.stringify(victim.term)} ${victim.media_file_id}`);

      const repaired = await cli(['search:check', '--repair', '--json']);
      expect(repaired.code).toBe(0);
      expect(repaired.json).toMatchObject({
        found: { missingTerms: 1, staleTerms: 1, miscountedCounters: 1 },
        after: { missingTerms: 0, staleTerms: 0, miscountedCounters: 0 },
      });
      const [{ present }] = await query<{ present: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM media_search_terms WHERE term = $1 AND media_file_id = $2) AS present`,
        [victim.term, victim.media_file_id],
      );
      expect(present).toBe(true);
      expect((await cli(['search:check', '--repair', '--json'])).json).toMatchObject({ found: { missingTerms: 0 } });
    });

    it('runs gc, verify, expire-pending and purge-trash with JSON counts, recorded as job runs', async () => {
      const gc = await cli(['gc', '--json']);
      expect(gc.code).toBe(0);
      expect(gc.json).toMatchObject({ job: 'collect-garbage', objectsDeleted: expect.any(Number) });

      const stored = (await query(`SELECT hash FROM stored_objects`)).length;
      const verify = await cli(['verify', '--json']);
      expect(verify.code).toBe(0);
      expect(verify.json).toMatchObject({
        job: 'verify-integrity',
        checked: stored,
        ok: stored,
        missing: 0,
        corrupt: 0,
      });

      const expire = await cli(['expire-pending', '--json']);
      expect(expire.code).toBe(0);
      expect(expire.json).toMatchObject({ job: 'expire-pending', expired: 0 });
      const purge = await cli(['purge-trash', '--json']);
      expect(purge.code).toBe(0);
      expect(purge.json).toMatchObject({ job: 'purge-trash', purged: 0 });

      const runs = await query<{ job: string; outcome: string }>(`SELECT job, outcome FROM job_runs ORDER BY id`);
      expect(runs.map((run) => run.job)).toEqual(
        expect.arrayContaining(['collect-garbage', 'verify-integrity', 'expire-pending', 'purge-trash']),
      );
      expect(runs.every((run) => run.outcome === 'succeeded')).toBe(true);
    });

    it('generate-renditions renders what has no renditions yet: JSON counts, or a line and a bar', async () => {
      const [first, second] = await Promise.all([
        solidImage(64, 40, '#0a5f38').png().toBuffer(),
        solidImage(40, 64, '#5f0a38').png().toBuffer(),
      ]);
      const root = makeTree(join(work, 'pictures'), { 'first.png': first, 'second.png': second });
      expect((await cli(['import', root, '--json'])).code).toBe(0);
      // `second` as content stored before renditions existed: no job until the backfill queues it.
      await query(`DELETE FROM rendition_jobs WHERE hash = $1`, [sha256(second)]);

      const run = await cli(['generate-renditions', '--json']);

      expect(run.code).toBe(0);
      expect(run.json).toMatchObject({ job: 'generate-renditions', queued: 1, failed: 0, remaining: 0 });
      expect(run.json.ready).toBeGreaterThanOrEqual(2);
      const rendered = await query<{ hash: string; n: number }>(
        `SELECT hash, count(*)::int AS n FROM renditions WHERE hash = ANY($1) GROUP BY hash ORDER BY hash`,
        [[sha256(first), sha256(second)]],
      );
      expect(rendered.map((row) => row.n)).toEqual([2, 2]);

      const again = await cli(['generate-renditions']);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/^generate-renditions: queued=0 processed=0 ready=0 .*remaining=0 \(\d+ ms\)$/m);
      // Not a terminal: plain status lines with the queue's counts instead of a redrawn bar.
      expect(again.stderr).toMatch(/\d+\/\d+ contents \| ready \d+, failed 0, unsupported \d+/);
      const runs = await query<{ outcome: string }>(`SELECT outcome FROM job_runs WHERE job = 'generate-renditions'`);
      expect(runs.map((row) => row.outcome)).toEqual(['succeeded', 'succeeded']);
    });

    it('verify exits 1 when an object is damaged', async () => {
      const [victim] = await query<{ hash: string }>(`SELECT hash FROM stored_objects LIMIT 1`);
      // Point the content at a key that does not exist: the object reads as missing.
      await query(`UPDATE stored_objects SET object_key = 'objects/missing-on-purpose' WHERE hash = $1`, [victim.hash]);
      const verify = await cli(['verify', '--json']);
      expect(verify.code).toBe(1);
      expect(verify.json).toMatchObject({ missing: 1, missingHashes: [victim.hash] });
    });
  });
});
