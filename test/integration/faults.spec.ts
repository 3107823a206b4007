/**
 * Operations faults, on real PostgreSQL and S3:
 * (a) the database connection of a request is killed in the middle of its transaction (pg_terminate_backend while
 *     it waits on a lock a barrier holds): 503 DATABASE_UNAVAILABLE with the error shape, nothing half-written,
 *     the invariants hold and the connection pool recovers;
 * (b) a server process SIGKILLed during a randomized workload driven over HTTP against it and an in-process
 *     instance, then restarted: after the jobs run, I1–I4 hold.
 */
import { request as httpRequest } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { buildOpenApiDocument } from '../../src/common/openapi/document.js';
import { testAppEnv, useTestApp } from '../support/app.js';
import { startChildApp, type ChildApp } from '../support/child-app.js';
import { prng } from '../support/workload.js';
import { approve, content, count, createMediaFile, purge, reject, sha256, trash, upload } from '../support/files.js';
import { expectInvariants } from '../support/invariants.js';
import { checkedRequest } from '../support/openapi-check.js';
import { holdContentLock, holdNewContent, waitForLockWaiters } from '../support/race.js';

function expectErrorShape(response: { status: number; body: Record<string, unknown> }, code: string): void {
  expect(response.status).toBe(503);
  expect(response.body).toMatchObject({
    statusCode: 503,
    error: 'Service Unavailable',
    code,
    message: expect.any(String),
  });
  // Nothing internal leaks: no SQL, no driver message, no storage key.
  expect(JSON.stringify(response.body)).not.toMatch(/terminat|administrator|SELECT|INSERT|objects\/|stack|at \w+ \(/i);
}

/** Kills the session(s) of `databaseUrl`'s database that wait on a lock; answers how many were killed. */
async function terminateLockWaiters(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number; terminated: boolean }>(
      `SELECT pid, pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
        WHERE datname = $1 AND wait_event_type = 'Lock'`,
      [new URL(databaseUrl).pathname.slice(1)],
    );
    return rows.filter((row) => row.terminated).length;
  } finally {
    await client.end();
  }
}

describe('the database connection killed in the middle of a transaction', () => {
  let admin: string;
  let dataSource: DataSource;

  const t = useTestApp({ env: { ORPHAN_GRACE_MINUTES: '0' } });

  beforeAll(async () => {
    admin = await t.adminAuth();
    dataSource = t.get(DataSource);
  });

  /**
   * Starts `operation` while `barrier` holds the lock it needs, sees it wait on the lock, kills its backend and
   * answers the HTTP response once the barrier is gone.
   */
  async function killWhileWaiting<R>(
    barrier: { release(): Promise<void> },
    operation: () => PromiseLike<R>,
  ): Promise<R> {
    const answer = Promise.resolve(operation());
    answer.catch(() => undefined);
    try {
      await waitForLockWaiters(t.databaseUrl, 1);
      expect(await terminateLockWaiters(t.databaseUrl)).toBe(1);
      return await answer;
    } finally {
      await barrier.release();
    }
  }

  const expectServing = async () => {
    // The pool hands out working connections again: several queries in parallel, more than the one lost.
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => t.http.get('/api/pending').set('Authorization', admin)),
    );
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    expect((await t.http.get('/api/health')).status).toBe(200);
  };

  it('during an approval that replaces a trashed file: 503, pending still pending, trashed still trashed', async () => {
    const bytes = content();
    const file = await createMediaFile(t, admin, bytes);
    expect((await trash(t, admin, file.mediaId)).status).toBe(204);
    const again = await upload(t, admin, bytes);
    expect(again.status).toBe('pending_updated');

    const barrier = await holdContentLock(t.databaseUrl, file.hash);
    const response = await killWhileWaiting(barrier, () =>
      approve(t, admin, again.pendingFile!.id, { title: 'Never' }),
    );
    expectErrorShape(response, 'DATABASE_UNAVAILABLE');

    expect(
      await dataSource.query(`SELECT id, deleted_at IS NOT NULL AS trashed FROM media_files WHERE hash = $1`, [
        file.hash,
      ]),
    ).toEqual([{ id: file.mediaId, trashed: true }]);
    expect(
      await dataSource.query(`SELECT status, media_file_id FROM pending_files WHERE id = $1`, [again.pendingFile!.id]),
    ).toEqual([{ status: 'pending', media_file_id: null }]);
    expect(await count(t, `SELECT 1 FROM stored_objects WHERE hash = $1`, [file.hash])).toBe(1);
    await expectServing();
    await expectInvariants(t);
    // And the same approval goes through now.
    expect((await approve(t, admin, again.pendingFile!.id, { title: 'Now' })).status).toBe(201);
    await expectInvariants(t);
  });

  it('during a reject: 503, the pending file still pending and its content still stored', async () => {
    const pending = await upload(t, admin, content());
    const barrier = await holdContentLock(t.databaseUrl, pending.hash);
    const response = await killWhileWaiting(barrier, () => reject(t, admin, pending.pendingFile!.id));
    expectErrorShape(response, 'DATABASE_UNAVAILABLE');

    expect(
      await dataSource.query(`SELECT status, reason FROM pending_files WHERE id = $1`, [pending.pendingFile!.id]),
    ).toEqual([{ status: 'pending', reason: null }]);
    expect(await count(t, `SELECT 1 FROM stored_objects WHERE hash = $1`, [pending.hash])).toBe(1);
    expect(await count(t, `SELECT 1 FROM storage_deletions`)).toBe(0);
    await expectServing();
    await expectInvariants(t);
    expect((await reject(t, admin, pending.pendingFile!.id)).status).toBe(200);
    await expectInvariants(t);
  });

  it('during a purge: 503, the media file still in the trash and its content still stored', async () => {
    const file = await createMediaFile(t, admin);
    expect((await trash(t, admin, file.mediaId)).status).toBe(204);
    const barrier = await holdContentLock(t.databaseUrl, file.hash);
    const response = await killWhileWaiting(barrier, () => purge(t, admin, file.mediaId));
    expectErrorShape(response, 'DATABASE_UNAVAILABLE');

    expect(
      await dataSource.query(`SELECT deleted_at IS NOT NULL AS trashed FROM media_files WHERE id = $1`, [file.mediaId]),
    ).toEqual([{ trashed: true }]);
    expect(await count(t, `SELECT 1 FROM stored_objects WHERE hash = $1`, [file.hash])).toBe(1);
    await expectServing();
    await expectInvariants(t);
  });

  it("during an upload's record transaction: 503, no record, the written object given back and collected", async () => {
    const bytes = content();
    const hash = sha256(bytes);
    const barrier = await holdNewContent(t.databaseUrl, hash);
    const response = await killWhileWaiting(barrier, () =>
      t.http.post('/api/uploads').set('Authorization', admin).attach('files', bytes, 'killed.txt'),
    );
    expectErrorShape(response, 'DATABASE_UNAVAILABLE');

    expect(await count(t, `SELECT 1 FROM pending_files WHERE hash = $1`, [hash])).toBe(0);
    expect(await count(t, `SELECT 1 FROM stored_objects WHERE hash = $1`, [hash])).toBe(0);
    // The claim was dropped and the object queued for deletion on a fresh connection (the pool recovered).
    expect(await count(t, `SELECT 1 FROM upload_sessions`)).toBe(0);
    await expectServing();
    await expectInvariants(t);
    expect((await upload(t, admin, bytes)).status).toBe('pending');
    await expectInvariants(t);
  });
});

describe('an instance SIGKILLed during a randomized workload, then restarted', () => {
  const t = useTestApp({ env: { ORPHAN_GRACE_MINUTES: '0' } });

  // The in-process instance's settings (JWT secret included: a token from one works on the other).
  const childEnv = () =>
    testAppEnv({ databaseUrl: t.databaseUrl, bucket: t.bucket, env: { ORPHAN_GRACE_MINUTES: '0' } });

  /** An upload to `url` that sends half of its body and then waits: the server is streaming it when killed. */
  function halfSentUpload(url: string, auth: string, bytes: Buffer): { sent: Promise<void>; answer: Promise<unknown> } {
    const boundary = `----mediavault${randomUUID()}`;
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n` +
        'Content-Type: text/plain\r\n\r\n',
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    let sent!: () => void;
    const sentPromise = new Promise<void>((resolve) => (sent = resolve));
    const answer = new Promise((resolve, reject) => {
      const req = httpRequest(`${url}/api/uploads`, {
        method: 'POST',
        headers: {
          authorization: auth,
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': head.length + bytes.length + tail.length,
        },
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      req.on('error', reject);
      req.write(head);
      req.write(bytes.subarray(0, bytes.length / 2), () => sent());
      // The rest never comes: the process is killed first.
    });
    answer.catch(() => undefined);
    return { sent: sentPromise, answer };
  }

  it('keeps I1–I4 once the jobs have run', async () => {
    const seed = Number(process.env.WORKLOAD_SEED ?? Math.floor(Math.random() * 2 ** 31));
    console.log(`faults SIGKILL workload: WORKLOAD_SEED=${seed}`);
    const random = prng(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    const admin = await t.adminAuth();
    const member = await t.createUser('member');
    const users = [admin, member.auth];
    const contents = Array.from({ length: 10 }, (_, index) =>
      Buffer.from(`ops-faults content ${index} ${randomBytes(6).toString('hex')}\n`),
    );
    const dataSource = t.get(DataSource);

    let child: ChildApp = await startChildApp(childEnv());
    let childDead = false;
    const outcomes: Record<string, number> = {};
    const agents = () => [
      { name: 'child', agent: checkedRequest(child.url, () => buildOpenApiDocument(t.app)), isChild: true },
      { name: 'in-process', agent: t.http, isChild: false },
    ];

    /** One random operation on a random live instance; a connection cut by the kill counts as `NET`. */
    const operate = async (step: number) => {
      const [pending, media] = await Promise.all([
        dataSource.query<Array<{ id: string }>>(`SELECT id FROM pending_files`),
        dataSource.query<Array<{ id: string; trashed: boolean }>>(
          `SELECT id, deleted_at IS NOT NULL AS trashed FROM media_files`,
        ),
      ]);
      const active = media.filter((row) => !row.trashed);
      const trashed = media.filter((row) => row.trashed);
      const live = agents().filter((candidate) => !(candidate.isChild && childDead));
      const target = pick(live);
      const http = target.agent;
      const roll = random();
      let name: string;
      let send: () => PromiseLike<{ status: number; body?: { code?: string } }>;
      if (roll < 0.2 && pending.length) {
        const id = pick(pending).id;
        name = 'approve';
        send = () => http.post(`/api/pending/${id}/approve`).set('Authorization', admin).send({ title: 'Kill test' });
      } else if (roll < 0.3 && pending.length) {
        const id = pick(pending).id;
        name = 'reject';
        send = () => http.post(`/api/pending/${id}/reject`).set('Authorization', admin).send({});
      } else if (roll < 0.42 && active.length) {
        const id = pick(active).id;
        name = 'trash';
        send = () => http.delete(`/api/files/${id}`).set('Authorization', admin);
      } else if (roll < 0.5 && trashed.length) {
        const id = pick(trashed).id;
        name = 'restore';
        send = () => http.post(`/api/trash/${id}/restore`).set('Authorization', admin);
      } else if (roll < 0.58 && trashed.length) {
        const id = pick(trashed).id;
        name = 'purge';
        send = () => http.delete(`/api/trash/${id}`).set('Authorization', admin);
      } else if (roll < 0.63) {
        const id = pending.length ? pick(pending).id : undefined;
        name = 'expire';
        send = async () => {
          if (id)
            await dataSource.query(`UPDATE pending_files SET expires_at = now() - interval '1 minute' WHERE id = $1`, [
              id,
            ]);
          return http.post('/api/admin/maintenance/expire-pending').set('Authorization', admin);
        };
      } else if (roll < 0.68) {
        name = 'collect-garbage';
        send = () => http.post('/api/admin/maintenance/collect-garbage').set('Authorization', admin);
      } else {
        const bytes = pick(contents);
        const auth = pick(users);
        name = 'upload';
        send = () => http.post('/api/uploads').set('Authorization', auth).attach('files', bytes, `c${step}.txt`);
      }
      let status: string;
      try {
        const response = await send();
        status = `${response.status}${response.body?.code ? ` ${response.body.code}` : ''}`;
        if (response.status >= 500)
          throw new Error(`seed ${seed}: #${step} ${name} on ${target.name} answered ${status}`);
      } catch (error) {
        if (!(target.isChild && childDead) || /answered/.test(String(error))) throw error;
        status = 'NET';
      }
      const key = `${name} ${status}`;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
    };

    const batch = (from: number, size: number) =>
      Promise.all(Array.from({ length: size }, (_, i) => operate(from + i)));

    let step = 0;
    for (let round = 0; round < 5; round += 1, step += 6) await batch(step, 6);

    // The kill: a big upload half streamed into the child, plus a batch of random operations in flight on both.
    const big = halfSentUpload(
      child.url,
      admin,
      Buffer.alloc(6 * 1024 * 1024, `big ${randomBytes(4).toString('hex')}\n`),
    );
    await big.sent;
    const inFlight = batch(step, 6);
    step += 6;
    await new Promise((resolve) => setTimeout(resolve, 20 + Math.floor(random() * 80)));
    childDead = true;
    await child.kill('SIGKILL');
    await expect(big.answer).rejects.toThrow(/socket hang up|ECONNRESET|EPIPE/);
    await inFlight;

    // The in-process instance carries on alone, then a new child joins.
    for (let round = 0; round < 2; round += 1, step += 6) await batch(step, 6);
    child = await startChildApp(childEnv());
    childDead = false;
    try {
      for (let round = 0; round < 4; round += 1, step += 6) await batch(step, 6);
      console.log(`faults SIGKILL workload (seed ${seed}): ${JSON.stringify(outcomes)}`);

      // Quiescent. The killed process's claims stopped being refreshed: let time pass for them, then run the jobs
      // on the restarted instance, over HTTP like an operator would.
      await dataSource.query(`UPDATE upload_sessions SET touched_at = now() - interval '1 day'`);
      await dataSource.query(`UPDATE storage_deletions SET next_attempt_at = now()`);
      const restarted = checkedRequest(child.url, () => buildOpenApiDocument(t.app));
      for (const job of ['expire-pending', 'collect-garbage']) {
        const response = await restarted.post(`/api/admin/maintenance/${job}`).set('Authorization', admin);
        expect(response.status).toBe(200);
      }
    } finally {
      await child.kill('SIGTERM');
    }
    await expectInvariants(t, { bucket: t.bucket });
    expect(await count(t, `SELECT 1 FROM upload_sessions`)).toBe(0);
  }, 120_000);
});
