/**
 * The core invariants across two application instances that share one database and one bucket. Races are forced
 * with database locks instead of luck where the order matters: a *barrier* (a transaction on its own connection)
 * holds the lock the operations need; A is started and seen waiting, then B is started and seen waiting, then the
 * barrier is released and PostgreSQL grants the lock in that order. Unforced repetitions cover the rest.
 */
import { randomBytes } from 'node:crypto';
import type { Response } from 'supertest';
import { DataSource } from 'typeorm';
import { StorageDeletionQueue } from '../../src/file-manager/services/storage-deletion-queue.service.js';
import { ObjectStorage } from '../../src/storage/object-storage.js';
import { useTestApp, type TestApp } from '../support/app.js';
import { runWorkload, sha256, workloadSeed, type WorkloadUser } from '../support/workload.js';
import { testBucketName, useTestDatabase } from '../support/database.js';
import { checkInvariants, expectInvariants, formatViolations } from '../support/invariants.js';
import { solidPng } from '../support/media.js';
import {
  bothOrders,
  holdContentLock,
  holdNewContent,
  holdPendingRow,
  raceInOrder,
  runInOrder,
  waitForLockWaiters,
} from '../support/race.js';

describe('core invariants across two instances (same database, same bucket)', () => {
  const database = useTestDatabase();
  const bucket = testBucketName();
  const env = { ORPHAN_GRACE_MINUTES: '0' };
  const a = useTestApp({ database, bucket, listen: true, env });
  const b = useTestApp({ database, bucket, listen: true, env });
  let admin: string;
  let dataSource: DataSource;

  beforeAll(async () => {
    admin = await a.adminAuth();
    dataSource = a.get(DataSource);
  });

  const freshContent = (label: string) => Buffer.from(`${label} ${randomBytes(8).toString('hex')}\n`);

  const upload = (t: TestApp, content: Buffer, auth = admin): Promise<Response> =>
    Promise.resolve(t.http.post('/api/uploads').set('Authorization', auth).attach('files', content, 'file.txt'));
  const approve = (t: TestApp, pendingId: string): Promise<Response> =>
    Promise.resolve(
      t.http.post(`/api/pending/${pendingId}/approve`).set('Authorization', admin).send({ title: 'Raced' }),
    );
  const reject = (t: TestApp, pendingId: string): Promise<Response> =>
    Promise.resolve(t.http.post(`/api/pending/${pendingId}/reject`).set('Authorization', admin).send({}));
  const trash = (t: TestApp, mediaId: string): Promise<Response> =>
    Promise.resolve(t.http.delete(`/api/files/${mediaId}`).set('Authorization', admin));
  const restore = (t: TestApp, mediaId: string): Promise<Response> =>
    Promise.resolve(t.http.post(`/api/trash/${mediaId}/restore`).set('Authorization', admin));
  const purge = (t: TestApp, mediaId: string): Promise<Response> =>
    Promise.resolve(t.http.delete(`/api/trash/${mediaId}`).set('Authorization', admin));
  const collectGarbage = (t: TestApp): Promise<Response> =>
    Promise.resolve(t.http.post('/api/admin/maintenance/collect-garbage').set('Authorization', admin));

  /** Uploads fresh content on A and answers its hash and pending file id. */
  const pendingFile = async (label: string) => {
    const content = freshContent(label);
    const response = await upload(a, content);
    expect(response.body.results[0].status).toBe('pending');
    return { content, hash: sha256(content), pendingId: response.body.results[0].pendingFile.id as string };
  };

  /** Uploads, approves and (optionally) trashes fresh content: answers the media file. */
  const mediaFile = async (label: string, trashed: boolean) => {
    const pending = await pendingFile(label);
    const approved = await approve(a, pending.pendingId);
    expect(approved.status).toBe(201);
    const mediaId = approved.body.mediaFile.id as string;
    if (trashed) expect((await trash(a, mediaId)).status).toBe(204);
    return { ...pending, mediaId };
  };

  const invariantsHold = (label: string) => expectInvariants([a, b], { label, bucket });

  const contentRow = async (hash: string) =>
    (
      await dataSource.query<Array<{ objectKey: string }>>(
        `SELECT object_key AS "objectKey" FROM stored_objects WHERE hash = $1`,
        [hash],
      )
    )[0];

  const count = async (sql: string, params: unknown[]) =>
    (await dataSource.query<Array<{ n: number }>>(sql, params))[0].n;

  it('same content uploaded on both at once: one pending file, one stored object', async () => {
    for (let round = 0; round < 6; round += 1) {
      const content = freshContent(`same-upload-${round}`);
      const hash = sha256(content);
      // Even rounds: both uploads wait on the uncommitted content row of a barrier, then race for the content lock.
      const [ra, rb] =
        round % 2 === 0
          ? await runInOrder(
              database.url,
              await holdNewContent(database.url, hash),
              () => upload(a, content),
              () => upload(b, content),
            )
          : await Promise.all([upload(a, content), upload(b, content)]);
      expect([ra.status, rb.status]).toEqual([201, 201]);
      const results = [ra.body.results[0], rb.body.results[0]];
      expect(results.map((result) => result.status).sort()).toEqual(['pending', 'pending_updated']);
      expect(results[0].pendingFile.id).toBe(results[1].pendingFile.id);
      expect(await count(`SELECT count(*)::int AS n FROM pending_files WHERE hash = $1`, [hash])).toBe(1);
    }
    // One stored object per content after the duplicate uploads' objects are collected (I3, checked in the bucket).
    await invariantsHold('after simultaneous uploads');
  });

  it('the same pending file approved on both at once: exactly one 201, the other 409 NOT_PENDING', async () => {
    for (let round = 0; round < 6; round += 1) {
      const { hash, pendingId } = await pendingFile(`double-approve-${round}`);
      const [ra, rb] =
        round % 2 === 0
          ? await runInOrder(
              database.url,
              await holdContentLock(database.url, hash),
              () => approve(a, pendingId),
              () => approve(b, pendingId),
            )
          : await Promise.all([approve(a, pendingId), approve(b, pendingId)]);
      const statuses = [ra.status, rb.status].sort();
      expect(statuses).toEqual([201, 409]);
      expect([ra, rb].find((response) => response.status === 409)!.body.code).toBe('NOT_PENDING');
      expect(await count(`SELECT count(*)::int AS n FROM media_files WHERE hash = $1`, [hash])).toBe(1);
    }
    await invariantsHold('after double approvals');
  });

  it.each(bothOrders('approve', 'reject'))(
    'approve on A vs reject on B (%s first): one wins, the %s is refused, the content follows the winner',
    async (first, second) => {
      const { hash, pendingId } = await pendingFile(`approve-reject-${first}`);
      const barrier = await holdContentLock(database.url, hash);
      const outcome = await raceInOrder(
        database.url,
        barrier,
        { approve: () => approve(a, pendingId), reject: () => reject(b, pendingId) },
        [first, second],
      );
      expect(outcome[first].status).toBe({ approve: 201, reject: 200 }[first]);
      expect(outcome[second].status).toBe(409);
      expect(outcome[second].body.code).toBe('NOT_PENDING');
      expect((await contentRow(hash)) !== undefined).toBe(first === 'approve');
      await invariantsHold(`approve vs reject, ${first} first`);
    },
  );

  it.each(bothOrders('purge', 'upload'))(
    'purge on A vs re-upload on B (%s first): the re-uploaded content is never lost',
    async (first, second) => {
      const { content, hash, mediaId, pendingId } = await mediaFile(`purge-reupload-${first}`, true);
      const before = (await contentRow(hash)).objectKey;
      const barrier = await holdContentLock(database.url, hash);
      const { purge: purged, upload: uploaded } = await raceInOrder(
        database.url,
        barrier,
        { purge: () => purge(a, mediaId), upload: () => upload(b, content) },
        [first, second],
      );
      expect(purged.status).toBe(204);
      expect(uploaded.status).toBe(201);
      // The trashed media file does not count as `exists`; the approved-then-trashed pending record is reused.
      expect(uploaded.body.results[0].status).toBe('pending_updated');
      expect(uploaded.body.results[0].pendingFile.id).toBe(pendingId);
      const after = await contentRow(hash);
      expect(after).toBeDefined();
      // Purge first frees the old copy and the upload stores a new one; upload first keeps the old copy.
      expect(after.objectKey === before).toBe(first === 'upload');
      await invariantsHold(`purge vs re-upload, ${first} first`);
    },
  );

  it('purge on A vs re-upload on B, unforced, many times', async () => {
    for (let round = 0; round < 8; round += 1) {
      const { content, mediaId } = await mediaFile(`purge-reupload-loose-${round}`, true);
      const [purged, uploaded] =
        round % 2 === 0
          ? await Promise.all([purge(a, mediaId), upload(b, content)])
          : await Promise.all([upload(b, content), purge(a, mediaId)]).then(([u, p]) => [p, u] as const);
      expect(purged.status).toBe(204);
      expect(uploaded.body.results[0].status).toBe('pending_updated');
      // Checked while the deletes the purge queued may still be draining: I1 must hold at every quiet moment.
      const violations = await checkInvariants({ dataSource, storage: a.get(ObjectStorage), bucket });
      expect(formatViolations(violations)).toBe('');
    }
    await invariantsHold('after unforced purge vs re-upload');
  });

  it.each(bothOrders('restore', 'purge'))(
    'trash restore on A vs purge on B (%s first): exactly one wins',
    async (first, second) => {
      const { hash, mediaId } = await mediaFile(`restore-purge-${first}`, true);
      const barrier = await holdContentLock(database.url, hash);
      const outcome = await raceInOrder(
        database.url,
        barrier,
        { restore: () => restore(a, mediaId), purge: () => purge(b, mediaId) },
        [first, second],
      );
      const winner = {
        restore: { restore: 200, purge: 404, activeRows: 1, rows: 1, contentKept: true },
        purge: { restore: 404, purge: 204, activeRows: 0, rows: 0, contentKept: false },
      }[first];
      expect({
        restore: outcome.restore.status,
        purge: outcome.purge.status,
        activeRows: await count(`SELECT count(*)::int AS n FROM media_files WHERE id = $1 AND deleted_at IS NULL`, [
          mediaId,
        ]),
        rows: await count(`SELECT count(*)::int AS n FROM media_files WHERE id = $1`, [mediaId]),
        contentKept: (await contentRow(hash)) !== undefined,
      }).toEqual(winner);
      await invariantsHold(`restore vs purge, ${first} first`);
    },
  );

  it.each([
    ['new content', false],
    ['content already stored', true],
  ])('GC on A while an upload on B is recording (%s): the upload keeps its bytes', async (label, alreadyStored) => {
    const content = freshContent(`gc-upload-${alreadyStored}`);
    const hash = sha256(content);
    let pendingId: string | undefined;
    if (alreadyStored) pendingId = (await upload(a, content)).body.results[0].pendingFile.id;
    // The upload has written its object and dropped its claim (uncommitted) when it meets the barrier; GC then
    // finds the object unreferenced and must wait for the upload's commit before judging it.
    const barrier = alreadyStored
      ? await holdContentLock(database.url, hash)
      : await holdNewContent(database.url, hash);
    const [uploaded, collected] = await runInOrder(
      database.url,
      barrier,
      () => upload(b, content),
      () => collectGarbage(a),
    );
    expect(collected.status).toBe(200);
    expect(uploaded.status).toBe(201);
    expect(uploaded.body.results[0].status).toBe(alreadyStored ? 'pending_updated' : 'pending');
    if (pendingId) expect(uploaded.body.results[0].pendingFile.id).toBe(pendingId);
    await invariantsHold(`GC vs upload, ${label}`);
  });

  it('GC on A racing uploads on B, unforced, many times', async () => {
    for (let round = 0; round < 10; round += 1) {
      const contents = [freshContent(`gc-race-${round}-x`), freshContent(`gc-race-${round}-y`)];
      const responses = await Promise.all([
        upload(b, contents[0]),
        collectGarbage(a),
        upload(b, contents[1]),
        upload(a, contents[0]),
        collectGarbage(b),
      ]);
      for (const response of responses) expect([200, 201, 409]).toContain(response.status);
      const violations = await checkInvariants({ dataSource, storage: a.get(ObjectStorage), bucket });
      expect(formatViolations(violations)).toBe('');
    }
    await invariantsHold('after GC racing uploads');
  });

  it('freed content leaves the bucket right after the freeing commit, without waiting for GC (I4)', async () => {
    const storage = a.get(ObjectStorage);
    const gone = async (hash: string, objectKey: string) => {
      expect(await contentRow(hash)).toBeUndefined();
      expect(await storage.stat(objectKey)).toBeNull();
      expect(await count(`SELECT count(*)::int AS n FROM storage_deletions WHERE object_key = $1`, [objectKey])).toBe(
        0,
      );
    };

    const rejected = await pendingFile('freed-by-reject');
    const rejectedKey = (await contentRow(rejected.hash)).objectKey;
    expect((await reject(b, rejected.pendingId)).status).toBe(200);
    await b.get(StorageDeletionQueue).settled();
    await gone(rejected.hash, rejectedKey);

    const purged = await mediaFile('freed-by-purge', true);
    const purgedKey = (await contentRow(purged.hash)).objectKey;
    expect((await purge(a, purged.mediaId)).status).toBe(204);
    await a.get(StorageDeletionQueue).settled();
    await gone(purged.hash, purgedKey);

    const expired = await pendingFile('freed-by-expiry');
    const expiredKey = (await contentRow(expired.hash)).objectKey;
    await dataSource.query(`UPDATE pending_files SET expires_at = now() - interval '1 minute' WHERE id = $1`, [
      expired.pendingId,
    ]);
    const job = await b.http.post('/api/admin/maintenance/expire-pending').set('Authorization', admin);
    expect(job.status).toBe(200);
    expect(job.body.expired).toBeGreaterThanOrEqual(1);
    await b.get(StorageDeletionQueue).settled();
    await gone(expired.hash, expiredKey);
  });

  /**
   * Regression: a rejected file's content is freed. An approval that read "no content row" and so took no content
   * lock, while a re-upload of the same bytes was storing it again, used to wait on the pending row behind that
   * upload, find the file pending again and answer `409 CONFLICT` "stored content missing" although the bytes were
   * stored — an answer neither serial order gives. The content lock is now an advisory lock on the hash, which
   * exists whether or not the content is stored, so the approval queues behind the upload and succeeds.
   */
  it('approve racing a re-upload of a rejected file answers like one of the serial orders', async () => {
    const { content, pendingId } = await pendingFile('approve-vs-reupload');
    expect((await reject(a, pendingId)).status).toBe(200);
    // Barrier on the pending row: the upload (started first) stores the content row, then waits here; the
    // approval finds no committed content row to lock and waits here behind it.
    const barrier = await holdPendingRow(database.url, pendingId);
    const [uploaded, approved] = await runInOrder(
      database.url,
      barrier,
      () => upload(b, content),
      () => approve(a, pendingId),
    );
    expect(uploaded.body.results[0].status).toBe('pending_updated');
    await invariantsHold('approve vs re-upload of a rejected file');
    // The upload committed before the approval decided: the approval must succeed.
    expect({ status: approved.status, code: approved.body.code }).toEqual({ status: 201, code: undefined });
  });

  /**
   * Regression: same opening, with a reject. Finding no content row to lock, the reject used to lock the pending
   * row first and the content row last (when freeing the content) — the reverse of every other operation's order —
   * and a second re-upload holding the content lock closed a deadlock cycle (a 500). With the advisory content lock
   * all three queue on the hash: upload, reject (frees the content), upload (stores it again).
   */
  it('reject racing two re-uploads of a rejected file: no deadlock, no 5xx', async () => {
    const { content, pendingId } = await pendingFile('reject-vs-reuploads');
    expect((await reject(a, pendingId)).status).toBe(200);
    const barrier = await holdPendingRow(database.url, pendingId);
    const started: Array<Promise<Response>> = [];
    try {
      // First re-upload: stores the content row (uncommitted), waits for the pending row.
      started.push(upload(b, content));
      await waitForLockWaiters(database.url, 1);
      // Reject: no committed content row to lock, waits for the pending row behind the upload.
      started.push(reject(a, pendingId));
      await waitForLockWaiters(database.url, 2);
      // Second re-upload: waits on the first one's uncommitted content row.
      started.push(upload(b, content));
      await waitForLockWaiters(database.url, 3);
    } finally {
      started.forEach((promise) => void promise.catch(() => undefined));
      await barrier.release();
    }
    const [first, rejected, second] = await Promise.all(started);
    const statuses = { first: first.status, rejected: rejected.status, second: second.status };
    await invariantsHold('reject vs two re-uploads');
    expect(statuses).toEqual({ first: 201, rejected: 200, second: 201 });
  });

  it('keeps I1–I6 through a randomized workload spread across both instances', async () => {
    const seed = workloadSeed('content-multi-instance');
    const member = await a.createUser('member');
    const [{ id: adminId }] = await dataSource.query<Array<{ id: string }>>(
      `SELECT id FROM users WHERE role = 'admin' LIMIT 1`,
    );
    const users: WorkloadUser[] = [
      { id: adminId, auth: admin, role: 'admin' },
      { id: member.id, auth: member.auth, role: 'member' },
    ];
    const contents = [
      ...[0, 1, 2, 3].map((index) => Buffer.from(`multi-instance workload content ${index}\n`)),
      // Pictures: their renditions are rendered by both instances' workers at each full check (I6).
      solidPng(24, [200, 60, 20]),
      solidPng(24, [20, 60, 200]),
    ];
    const started = Date.now();
    const stats = await runWorkload({
      seed,
      instances: [a, b],
      dataSource,
      users,
      contents,
      operations: 240,
      batchSize: [3, 6],
      fullCheckEvery: 8,
      check: async (label, full) => {
        const violations = await checkInvariants({
          dataSource,
          storage: b.get(ObjectStorage),
          bucket,
          ...(full ? { apps: [a, b] } : {}),
        });
        if (violations.length) throw new Error(`${label}: invariants violated\n${formatViolations(violations)}`);
      },
    });
    console.log(
      `content-multi-instance: seed ${seed}, ${stats.operations} operations in ${stats.batches} batches, ` +
        `${Date.now() - started} ms\n` +
        JSON.stringify(stats.outcomes, null, 1),
    );
    expect(stats.operations).toBe(240);
  });
});
