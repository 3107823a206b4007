/**
 * The core invariants (no loss, one record per content, stored once, no leak) under a randomized, partly
 * concurrent workload on one instance: real PostgreSQL, real S3, HTTP all the way. Replay a failing run with
 * `WORKLOAD_SEED=<seed printed by the run> npm test -- test/integration/content-workload.spec.ts`.
 */
import { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import { StorageDeletionQueue } from '../../src/file-manager/services/storage-deletion-queue.service.js';
import { ObjectStorage } from '../../src/storage/object-storage.js';
import { useTestApp } from '../support/app.js';
import { runWorkload, sha256, workloadSeed, type WorkloadUser } from '../support/workload.js';
import { checkInvariants, formatViolations } from '../support/invariants.js';
import { solidPng } from '../support/media.js';

const CONTENTS = [
  Buffer.from('alpha: the first small content\n'),
  Buffer.from('beta: the second small content\n'),
  Buffer.from('gamma: the third small content\n'),
  Buffer.from('delta: the fourth small content\n'),
  // A picture: its renditions live and die with it through the workload (I6).
  solidPng(24, [40, 120, 200]),
];

describe('core invariants under a randomized workload (one instance)', () => {
  // Grace 0: whatever an interrupted or duplicate upload left behind is collectable at once.
  const t = useTestApp({ listen: true, env: { ORPHAN_GRACE_MINUTES: '0' } });

  it('keeps I1–I6 through 300 random operations in concurrent batches', async () => {
    const seed = workloadSeed('content-workload');
    const member = await t.createUser('member');
    const adminAuth = await t.adminAuth();
    const dataSource = t.get(DataSource);
    const [{ id: adminId }] = await dataSource.query<Array<{ id: string }>>(
      `SELECT id FROM users WHERE role = 'admin' LIMIT 1`,
    );
    const users: WorkloadUser[] = [
      { id: adminId, auth: adminAuth, role: 'admin' },
      { id: member.id, auth: member.auth, role: 'member' },
    ];
    const storage = t.get(ObjectStorage);
    const started = Date.now();

    const stats = await runWorkload({
      seed,
      instances: [t],
      dataSource,
      users,
      contents: CONTENTS,
      operations: 300,
      batchSize: [3, 6],
      fullCheckEvery: 8,
      check: async (label, full) => {
        const violations = await checkInvariants({
          dataSource,
          storage,
          bucket: t.bucket,
          ...(full ? { apps: [t] } : {}),
        });
        if (violations.length) throw new Error(`${label}: invariants violated\n${formatViolations(violations)}`);
      },
    });

    console.log(
      `content-workload: seed ${seed}, ${stats.operations} operations in ${stats.batches} batches, ` +
        `${Date.now() - started} ms\n` +
        JSON.stringify(stats.outcomes, null, 1),
    );
    expect(stats.operations).toBe(300);
  });
});

/** A checker that never fails proves nothing: break each invariant on purpose and expect it to be reported. */
describe('checkInvariants itself', () => {
  const t = useTestApp({ env: { ORPHAN_GRACE_MINUTES: '0' } });

  const check = (collect: boolean) =>
    checkInvariants({
      databaseUrl: t.databaseUrl,
      storage: t.get(ObjectStorage),
      bucket: t.bucket,
      ...(collect ? { apps: [t] } : {}),
    });
  const pendingContent = async (text: string) => {
    const admin = await t.adminAuth();
    const response = await t.http
      .post('/api/uploads')
      .set('Authorization', admin)
      .attach('files', Buffer.from(text), 'f.txt');
    const [row] = await t
      .get(DataSource)
      .query<Array<{ objectKey: string; hash: string }>>(
        `SELECT object_key AS "objectKey", hash FROM stored_objects WHERE hash = $1`,
        [response.body.results[0].hash],
      );
    return row;
  };

  it('reports nothing on a consistent state', async () => {
    await pendingContent('consistent state\n');
    expect(await check(true)).toEqual([]);
  });

  it('reports missing and corrupt bytes, and a needed object queued for deletion (I1)', async () => {
    const storage = t.get(ObjectStorage);
    const missing = await pendingContent('will go missing\n');
    const corrupt = await pendingContent('will be corrupted\n');
    const doomed = await pendingContent('will be queued for deletion\n');
    await storage.remove(missing.objectKey);
    await storage.putStream(corrupt.objectKey, Readable.from([Buffer.from('other bytes')]));
    // Every recorded upload starts a background drain; one still running would carry out (and drop) the row below.
    await t.get(StorageDeletionQueue).settled();
    await t
      .get(DataSource)
      .query(`INSERT INTO storage_deletions (object_key, reason) VALUES ($1, 'orphan')`, [doomed.objectKey]);
    const violations = await check(false);
    expect(violations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ invariant: 'I1', hash: missing.hash, message: expect.stringContaining('missing') }),
        expect.objectContaining({
          invariant: 'I1',
          hash: corrupt.hash,
          message: expect.stringContaining('hashing to'),
        }),
        expect.objectContaining({ invariant: 'I1', hash: doomed.hash, message: expect.stringContaining('queued') }),
      ]),
    );
    // Repair for the next test: the record that needed the lost bytes goes.
    await t.get(DataSource).query(`DELETE FROM storage_deletions`);
    await t
      .get(DataSource)
      .query(`DELETE FROM pending_files WHERE hash = ANY($1::text[])`, [[missing.hash, corrupt.hash]]);
  });

  it('reports a second copy, a leftover claim and debris outside GC reach after collection (I3, I4)', async () => {
    const storage = t.get(ObjectStorage);
    const content = await pendingContent('stored twice\n');
    const bytes = Buffer.from('stored twice\n');
    // A second copy that a live upload claim protects from GC, and debris outside `objects/` that GC never lists.
    await t.get(DataSource).query(`INSERT INTO upload_sessions (object_key) VALUES ('objects/copy')`);
    await storage.putStream('objects/copy', Readable.from([bytes]));
    await storage.putStream('elsewhere/debris', Readable.from([Buffer.from('debris')]));
    const violations = await check(true);
    expect(violations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ invariant: 'I3', hash: content.hash }),
        expect.objectContaining({ invariant: 'I4', objectKey: 'elsewhere/debris' }),
        expect.objectContaining({
          invariant: 'I4',
          objectKey: 'objects/copy',
          message: expect.stringContaining('claim'),
        }),
      ]),
    );
  });

  it('reports a recorded rendition whose object is gone, and a job another worker still holds (I6)', async () => {
    const dataSource = t.get(DataSource);
    const picture = await pendingContent('placeholder');
    const png = solidPng(16, [200, 10, 10]);
    const admin = await t.adminAuth();
    const uploaded = await t.http.post('/api/uploads').set('Authorization', admin).attach('files', png, 'red.png');
    const hash = uploaded.body.results[0].hash as string;
    // The earlier tests' damage stays reported under I1–I4; this one is about I6.
    const i6 = async (collect: boolean) => (await check(collect)).filter((violation) => violation.invariant === 'I6');
    expect(await i6(true)).toEqual([]); // renders the queue: the picture has both renditions now
    const [rendition] = await dataSource.query<Array<{ objectKey: string }>>(
      `SELECT object_key AS "objectKey" FROM renditions WHERE hash = $1 LIMIT 1`,
      [hash],
    );
    await t.get(ObjectStorage).remove(rendition.objectKey);
    // A job some other instance's worker holds under a live lease: the queue cannot drain.
    await dataSource.query(
      `UPDATE rendition_jobs SET status = 'running', lease_token = gen_random_uuid(), lease_owner = 'elsewhere',
              lease_expires_at = now() + interval '1 hour'
        WHERE hash = $1`,
      [picture.hash],
    );

    expect(await i6(false)).toEqual([
      expect.objectContaining({ invariant: 'I6', message: expect.stringContaining(`${rendition.objectKey}) has no`) }),
    ]);
    expect(await i6(true)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ invariant: 'I6', message: expect.stringContaining('has no object') }),
        expect.objectContaining({ invariant: 'I6', message: `content ${picture.hash} is still running` }),
      ]),
    );
    // Repair for the next test.
    await dataSource.query(`DELETE FROM renditions WHERE object_key = $1`, [rendition.objectKey]);
    await dataSource.query(
      `UPDATE rendition_jobs SET status = 'unsupported', lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL
        WHERE hash = $1`,
      [picture.hash],
    );
  });

  it('reports unneeded content and a stuck deletion when collection left them (I4)', async () => {
    const dataSource = t.get(DataSource);
    const unneeded = sha256(Buffer.from('nobody needs this'));
    await dataSource.query(`INSERT INTO stored_objects (hash, object_key, size) VALUES ($1, 'objects/unneeded', 1)`, [
      unneeded,
    ]);
    await dataSource.query(`INSERT INTO storage_deletions (object_key, reason) VALUES ('objects/stuck', 'orphan')`);
    // A collector that does nothing stands for one that failed: the leftovers must be reported.
    const violations = await checkInvariants({
      dataSource,
      storage: t.get(ObjectStorage),
      bucket: t.bucket,
      collect: async () => {},
    });
    expect(violations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          invariant: 'I4',
          hash: unneeded,
          message: expect.stringContaining('no record needs'),
        }),
        expect.objectContaining({
          invariant: 'I4',
          objectKey: 'objects/stuck',
          message: expect.stringContaining('queued'),
        }),
      ]),
    );
  });
});
