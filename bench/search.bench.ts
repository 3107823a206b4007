/**
 * Library search benchmark (not a test): `npm run bench:search`.
 *
 * Seeds BENCH_FILES (default 1,000,000) media files with two tags each directly in SQL (generate_series), boots
 * the real application with `createApp`, and measures `GET /api/files` latency over HTTP (keep-alive, one request
 * at a time) for the scenarios below. Prints the figures and writes them, with the indexes each scenario used
 * (from pg_stat_user_indexes), to docs/benchmarks/search.md.
 *
 * Uses DATABASE_URL / S3_ENDPOINT when set (the database must be empty: it is seeded), otherwise starts its own
 * embedded PostgreSQL (fsync off) and S3 server in a temporary directory, removed at the end.
 * While tuning: BENCH_REUSE=1 measures a DATABASE_URL seeded by an earlier run as it is (no seeding, no report
 * written), BENCH_ONLY=<text> runs only the scenarios whose name contains the text, BENCH_SLOW_MS=<ms> prints the
 * queries slower than that.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile, chmod } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { createApp } from '../src/app.factory.js';
import { UsersService } from '../src/auth/users.service.js';
import { startEmbeddedPostgres } from '../src/embedded/embedded-postgres.js';
import { startEmbeddedS3 } from '../src/embedded/embedded-s3.js';

const FILES = Number(process.env.BENCH_FILES ?? 1_000_000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 300);
const WARMUP = 30;
const REUSE = process.env.BENCH_REUSE === '1';
const ONLY = process.env.BENCH_ONLY;
const SLOW_MS = process.env.BENCH_SLOW_MS ? Number(process.env.BENCH_SLOW_MS) : undefined;
const USERS = 100;
const TAGS = 500;
const ADMIN_EMAIL = 'bench-admin@bench.local';
const PASSWORD = 'bench-password-123';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** 1,600 pseudo-words from syllables: every title word appears in roughly 0.2% of the files. */
const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ra',
  'ten',
  'sol',
  'vor',
  'qui',
  'bel',
  'dar',
  'fen',
  'gor',
  'hul',
  'jas',
  'nor',
  'pex',
  'ri',
  'sta',
  'tu',
  'zan',
];
const VOCABULARY = SYLLABLES.flatMap((a) => SYLLABLES.flatMap((b) => SYLLABLES.slice(0, 4).map((c) => `${a}${b}${c}`)));

interface Scenario {
  name: string;
  asMember?: boolean;
  query: (i: number) => Record<string, string>;
}

async function main(): Promise<void> {
  const stops: Array<() => Promise<void>> = [];
  const directory = await mkdtemp(join(tmpdir(), 'mediavault-bench-'));
  await chmod(directory, 0o711);
  try {
    if (!process.env.DATABASE_URL) {
      const dataDir = join(directory, 'postgres');
      // Sized like a production server for this library: the working set (~3 GB at a million files: the media
      // table and its indexes, and the search terms' primary key, which searches read index-only) fits in
      // shared_buffers. The embedded default (128 MB) would measure the OS page cache.
      const initial = await startEmbeddedPostgres({ dataDir, fsync: false });
      const tuning = new pg.Client({ connectionString: initial.url });
      await tuning.connect();
      await tuning.query(`ALTER SYSTEM SET shared_buffers = '${process.env.BENCH_SHARED_BUFFERS ?? '4GB'}'`);
      await tuning.query(`ALTER SYSTEM SET effective_cache_size = '8GB'`);
      await tuning.end();
      await initial.stop();
      const postgres = await startEmbeddedPostgres({ dataDir, fsync: false });
      stops.push(() => postgres.stop());
      process.env.DATABASE_URL = postgres.url;
    }
    if (!process.env.S3_ENDPOINT) {
      const s3 = await startEmbeddedS3({ directory: join(directory, 'objects'), silent: true });
      stops.push(() => s3.stop());
      Object.assign(process.env, {
        S3_ENDPOINT: s3.endpoint,
        S3_ACCESS_KEY: s3.accessKey,
        S3_SECRET_KEY: s3.secretKey,
        S3_REGION: s3.region,
      });
    }
    Object.assign(process.env, {
      NODE_ENV: 'test',
      S3_BUCKET: `mv-bench-${randomBytes(4).toString('hex')}`,
      JWT_SECRET: randomBytes(32).toString('hex'),
      ADMIN_EMAIL,
      ADMIN_PASSWORD: PASSWORD,
      SCHEDULED_JOBS_ENABLED: 'false',
      DATA_DIR: join(directory, 'data'),
    });
    await mkdir(process.env.DATA_DIR!, { recursive: true });

    const app = await createApp({ logger: ['error'] });
    stops.unshift(() => app.close());
    await app.listen(0, '127.0.0.1');
    const port = (app.getHttpServer().address() as AddressInfo).port;
    const users = app.get(UsersService);
    const member = REUSE
      ? ((
          await app
            .get(DataSource)
            .query<Array<{ id: string }>>(`SELECT id FROM users WHERE email = 'bench-member@bench.local'`)
        )[0] ?? (await users.create('bench-member@bench.local', PASSWORD, 'member')))
      : await users.create('bench-member@bench.local', PASSWORD, 'member');

    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    try {
      const seconds = REUSE ? 0 : await seed(client, member.id);
      const http = new HttpClient(port);
      const adminAuth = await http.login(ADMIN_EMAIL);
      const memberAuth = await http.login('bench-member@bench.local');
      const tagIds = (await client.query<{ id: string }>(`SELECT id FROM tags ORDER BY name`)).rows.map(
        (row) => row.id,
      );

      const word = (i: number) => VOCABULARY[(i * 7919) % VOCABULARY.length];
      const scenarios: Scenario[] = [
        { name: 'no filter (default -createdAt)', query: (i) => ({ page: String(1 + (i % 5)) }) },
        { name: 'q: one word', query: (i) => ({ q: word(i) }) },
        { name: 'q: a prefix (4 letters)', query: (i) => ({ q: word(i).slice(0, 4) }) },
        { name: 'q: two words, one with a typo', query: (i) => ({ q: `${word(i)} ${typo(word(i + 1))}` }) },
        { name: 'tag filter', query: (i) => ({ tagIds: tagIds[i % tagIds.length] }) },
        {
          name: 'size range (~1% of files)',
          query: (i) => ({ minSize: String(1_000_000 + i * 1000), maxSize: String(1_000_000 + i * 1000 + 500_000) }),
        },
        { name: 'ordering -downloadCount', query: (i) => ({ ordering: '-downloadCount', page: String(1 + (i % 5)) }) },
        {
          name: 'as a member (visibility filter), no filter',
          asMember: true,
          query: (i) => ({ page: String(1 + (i % 5)) }),
        },
        { name: 'as a member, q: one word', asMember: true, query: (i) => ({ q: word(i + 3) }) },
      ];

      const results: Result[] = [];
      for (const scenario of scenarios.filter((candidate) => !ONLY || candidate.name.includes(ONLY))) {
        const auth = scenario.asMember ? memberAuth : adminAuth;
        for (let i = 0; i < WARMUP; i++) await http.get('/api/files', scenario.query(i + 10_000), auth);
        const before = await indexScans(client);
        const latencies: number[] = [];
        let count = 0;
        for (let i = 0; i < SAMPLES; i++) {
          const started = process.hrtime.bigint();
          const body = (await http.get('/api/files', scenario.query(i), auth)) as { count: number };
          const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
          latencies.push(elapsed);
          if (SLOW_MS !== undefined && elapsed > SLOW_MS)
            console.log(`  slow: ${elapsed.toFixed(1)} ms ${JSON.stringify(scenario.query(i))}`);
          count += body.count;
        }
        const after = await indexScans(client);
        const indexes = [...after.entries()]
          .filter(([name, scans]) => scans - (before.get(name) ?? 0) >= SAMPLES / 2)
          .map(([name]) => name)
          .sort();
        latencies.sort((a, b) => a - b);
        const result = {
          load: loadavg()[0],
          scenario,
          p50: percentile(latencies, 50),
          p95: percentile(latencies, 95),
          p99: percentile(latencies, 99),
          count: Math.round(count / SAMPLES),
          indexes,
        };
        results.push(result);
        const ms = (value: number) => `${value.toFixed(1).padStart(6)} ms`;
        console.log(
          `${scenario.name.padEnd(46)} p50 ${ms(result.p50)}  p95 ${ms(result.p95)}  p99 ${ms(result.p99)}  ` +
            `(avg count ${result.count}, load ${result.load.toFixed(1)})`,
        );
      }
      if (!REUSE && !ONLY) await writeReport(results, seconds);
    } finally {
      await client.end();
    }
  } finally {
    for (const stop of stops) await stop().catch((error) => console.error(error));
    await rm(directory, { recursive: true, force: true });
  }
}

/**
 * Bulk load, the way a migration from another system would: triggers off while inserting, then the search
 * vectors and word list are built in bulk by `media_search_rebuild()` (what the triggers would have computed).
 */
async function seed(client: pg.Client, memberId: string): Promise<number> {
  const started = Date.now();
  const step = async (label: string, sql: string, params: unknown[] = []) => {
    const t0 = Date.now();
    await client.query(sql, params);
    console.log(`  seed: ${label} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  };
  console.log(`Seeding ${FILES.toLocaleString('en')} media files…`);
  await step(
    'users',
    `INSERT INTO users (email, email_key, name, password_hash, role)
     SELECT 'seed' || i || '@bench.local', 'seed' || i || '@bench.local', 'seed' || i, 'not-a-hash', 'member'
     FROM generate_series(1, ${USERS}) i`,
  );
  await step(
    'tags',
    `INSERT INTO tags (name, slug)
     SELECT initcap(w) || ' ' || i, w || '-' || i FROM unnest($1::text[]) WITH ORDINALITY v(w, i) WHERE i <= ${TAGS}`,
    [VOCABULARY],
  );
  await client.query(`ALTER TABLE media_files DISABLE TRIGGER USER`);
  await client.query(`ALTER TABLE media_file_tags DISABLE TRIGGER USER`);
  const size = VOCABULARY.length;
  // Deterministic pseudo-random picks: word k = i times a prime, modulo the vocabulary, spelled from the syllables
  // exactly like VOCABULARY (a 20-element array: cheap to index, unlike a 1,600-element one per row).
  const w = (multiplier: number) => {
    const k = `((i::bigint * ${multiplier}) % ${size})`;
    return `(v.s[1 + ${k} / 80] || v.s[1 + (${k} / 4) % 20] || v.s[1 + ${k} % 4])`;
  };
  await step(
    'media_files',
    `WITH v AS (SELECT $1::text[] AS s),
          u AS (SELECT array_agg(id ORDER BY email) AS ids FROM users WHERE email LIKE 'seed%@bench.local')
     INSERT INTO media_files (hash, title, slug, description, original_filename, file_size, content_type, file_type,
                              access_level, download_count, created_by, created_at, updated_at)
     SELECT encode(sha256(int8send(i)), 'hex'),
            initcap(${w(7)} || ' ' || ${w(131)} || ' ' || ${w(2663)}),
            'file-' || i,
            ${w(17)} || ' ' || ${w(337)} || ' ' || ${w(4001)} || ' ' || ${w(911)},
            ${w(53)} || '_' || (i % 10000) || '.jpg',
            (i::bigint * 104729) % 100000000 + 1000,
            'image/jpeg',
            (ARRAY['image','image','image','document','video','audio','archive','other'])[1 + i % 8]::file_type,
            (CASE WHEN i % 10 < 4 THEN 'public' WHEN i % 10 < 8 THEN 'members' WHEN i % 10 = 8 THEN 'staff'
                  ELSE 'private' END)::access_level,
            (i::bigint * 7) % 5000,
            CASE WHEN i % 1000 = 999 THEN $2::uuid ELSE u.ids[1 + i % ${USERS}] END,
            timestamptz '2023-01-01' + (i * interval '90 seconds'),
            timestamptz '2023-01-01' + (i * interval '90 seconds')
       FROM generate_series(1, ${FILES}) i, v, u`,
    [SYLLABLES, memberId],
  );
  await step(
    'media_file_tags (2 per file)',
    `WITH t AS (SELECT array_agg(id ORDER BY slug) AS ids FROM tags),
          m AS (SELECT id, substr(slug, 6)::bigint AS i FROM media_files)
     INSERT INTO media_file_tags (media_file_id, tag_id)
     SELECT m.id, t.ids[1 + (m.i * 31) % ${TAGS}] FROM m, t
     UNION
     SELECT m.id, t.ids[1 + (m.i * 97 + 1) % ${TAGS}] FROM m, t`,
  );
  await client.query(`ALTER TABLE media_files ENABLE TRIGGER USER`);
  await client.query(`ALTER TABLE media_file_tags ENABLE TRIGGER USER`);
  await step('media_search_rebuild()', `SELECT media_search_rebuild()`);
  await step('VACUUM ANALYZE', `VACUUM ANALYZE`);
  await step('warm the cache (pg_prewarm)', `CREATE EXTENSION IF NOT EXISTS pg_prewarm`);
  const { rows } = await client.query<{ name: string }>(
    `SELECT c.oid::regclass::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')`,
  );
  for (const { name } of rows) await client.query(`SELECT pg_prewarm($1)`, [name]);
  const seconds = (Date.now() - started) / 1000;
  console.log(`Seeded in ${seconds.toFixed(0)} s`);
  return seconds;
}

async function indexScans(client: pg.Client): Promise<Map<string, number>> {
  // The statistics collector reports with a delay; ask for a fresh snapshot.
  await client.query(`SELECT pg_stat_force_next_flush()`).catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const { rows } = await client.query<{ name: string; scans: string }>(
    `SELECT indexrelname AS name, idx_scan AS scans FROM pg_stat_user_indexes`,
  );
  return new Map(rows.map((row) => [row.name, Number(row.scans)]));
}

class HttpClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  constructor(private readonly port: number) {}

  async login(email: string): Promise<string> {
    const body = (await this.send('POST', '/api/auth/login', undefined, { email, password: PASSWORD })) as {
      accessToken: string;
    };
    return `Bearer ${body.accessToken}`;
  }

  get(path: string, query: Record<string, string>, auth: string): Promise<unknown> {
    return this.send('GET', `${path}?${new URLSearchParams(query).toString()}`, auth);
  }

  private send(method: string, path: string, auth?: string, json?: unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const payload = json === undefined ? undefined : Buffer.from(JSON.stringify(json));
      const req = request(
        {
          host: '127.0.0.1',
          port: this.port,
          method,
          path,
          agent: this.agent,
          headers: {
            ...(auth ? { Authorization: auth } : {}),
            ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            if ((res.statusCode ?? 500) >= 300) reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`));
            else resolve(JSON.parse(text));
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
}

function typo(word: string): string {
  // Swap two inner letters: "kasolo" → "kaoslo".
  const i = Math.min(2, word.length - 2);
  return word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

interface Result {
  scenario: Scenario;
  p50: number;
  p95: number;
  p99: number;
  count: number;
  indexes: string[];
  /** 1-minute load average when the scenario ended: other work on the machine shows up in the figures. */
  load: number;
}

async function writeReport(results: Result[], seedSeconds: number): Promise<void> {
  const rows = results.map(
    (r) =>
      `| ${[
        r.scenario.name,
        r.p50.toFixed(1),
        r.p95.toFixed(1),
        r.p99.toFixed(1),
        r.count.toLocaleString('en'),
        r.load.toFixed(1),
        r.indexes.map((name) => `\`${name}\``).join(', ') || '–',
      ].join(' | ')} |`,
  );
  const text = `# Library search benchmark

Generated by \`npm run bench:search\` (bench/search.bench.ts) on ${new Date().toISOString().slice(0, 10)}:
${FILES.toLocaleString('en')} media files, ${TAGS} tags (two per file), ${USERS + 2} users, ${cpus().length} CPU cores,
embedded PostgreSQL (fsync off, shared_buffers 4 GB, cache prewarmed), the real application over HTTP with keep-alive,
one request at a time, ${SAMPLES} requests per scenario after ${WARMUP} warm-up requests.
Seeding took ${seedSeconds.toFixed(0)} s.
Latency is the whole HTTP round trip (validation, auth, count query, page query with tags and collections, JSON).
"Indexes" are those scanned at least once per two requests during the scenario (pg_stat_user_indexes).

| scenario | p50 ms | p95 ms | p99 ms | avg count | load avg | indexes |
|---|---|---|---|---|---|---|
${rows.join('\n')}

## How the plans get there

Two plans answer \`GET /api/files\` (src/file-manager/search/search-planner.ts), with the same results, order and
count (test/integration/search-terms-index.spec.ts asks every kind of query both ways):

- **The terms index** (migration 1764202100000-SearchTerms) answers a query with one "term criterion" (one word of
  \`q\`, or a tag filter, or a collection filter) sorted by relevance or date, with any of file type, access level and
  date filters. \`media_search_terms\` has a row per (term, active file): every lexeme of the file's search vector
  with its best weight, plus \`:tag:<id>\` and \`:collection:<id>\` terms, carrying the date, visibility columns and
  type. \`media_search_terms_pkey\` is \`(term, weight, created_at, media_file_id) INCLUDE (access_level, created_by,
  file_type, shared_prefix)\`, so:
  - a word's best matches are the first rows of a backward index-only scan of its term; a prefix is spelled out
    first into its terms (a skip scan over the distinct terms, in the same round trip as the typo lookup), and the
    page merges the first rows of each term (\`LIMIT\` per term, then the page's top rows, one per file);
  - the count comes from \`media_search_term_counts\` (files per term, visibility key and \`shared_prefix\`, plus the
    changes not yet folded into them):
    a prefix P counts each file once by summing the rows with \`shared_prefix < length(P)\` (only the first of a
    file's words that start with P shares fewer than length(P) characters with the word before it). With a type
    or date filter, the count is an index-only scan of the term's range instead.
  - Only the page's 20 rows are read from \`media_files\` (primary key).
- **The media rows** answer everything else (several words, a word and a tag, size ranges, orderings by title, size
  or downloads): \`media_files_search_idx\` (GIN over the weighted \`search_vector\`, partial on active files) with
  known prefixes spelled out as whole terms (exact GIN entries instead of partial matches) and typo corrections from
  \`search_words_trgm_idx\` (GiST trigram over the small \`search_words\` table); \`media_files_tag_ids_idx\` /
  \`media_files_collection_ids_idx\` (GIN over the trigger-kept link arrays); \`media_files_size_idx\` (file_size, id)
  INCLUDE (created_at, access_level, created_by) for index-only size ranges; partial b-trees for every ordering
  (\`media_files_created_idx\`, \`media_files_title_idx\`, \`media_files_downloads_idx\`), whose unfiltered pages are
  the first rows of one index scan, counted from the trigger-kept \`media_file_counts\`. Relevance is computed from
  the row's vector with weight-labelled tsqueries (\`'word':*A\`), the same definition the terms carry.
- Relevance: for each query word, the best \`weight × factor\` among the file's lexemes that match it (weights: title
  8, tag names 4, filename 2, description 1; factor 3 for the word or a word it starts, 1 for a typo correction),
  summed over the words; equal relevance, newest first.
- Visibility (\`readableCondition\`) is part of every scan: access level and uploader are columns of the terms, the
  counters and the rows, so counts and pages only ever contain what the caller may see.

Why it is built this way, what changed since the previous figures, what was tried and dropped, and the typo
scenario: [search-notes.md](search-notes.md).
`;
  await mkdir(join(root, 'docs', 'benchmarks'), { recursive: true });
  await writeFile(join(root, 'docs', 'benchmarks', 'search.md'), text);
  console.log('Written to docs/benchmarks/search.md');
}

await main();
