/**
 * A randomized, partly concurrent workload over the content lifecycle (upload, approve, reject, trash, restore,
 * purge, empty trash, expire, collect garbage), driven through HTTP against one or several instances that share a
 * database and a bucket. Reproducible from its seed (`WORKLOAD_SEED` replays a run): the sequence of operations
 * and their targets depend only on the seed and on the database state, not on the clock.
 *
 * Every response must be one the contract allows for that operation; a 5xx or an unexpected status fails the run
 * at once with the seed, the operation and the body. The caller's `check` runs the invariants between batches.
 */
import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { TestApp } from './app.js';

export interface WorkloadUser {
  id: string;
  auth: string;
  role: 'admin' | 'member';
}

export interface WorkloadOptions {
  seed: number;
  /** Every instance serves the same database and bucket; each operation goes to a randomly chosen one. */
  instances: TestApp[];
  dataSource: DataSource;
  users: WorkloadUser[];
  contents: Buffer[];
  operations: number;
  /** Concurrent operations per batch (inclusive bounds). */
  batchSize: [number, number];
  /** Called after each batch; `full` asks for the garbage-collected (I3/I4) check. */
  check: (label: string, full: boolean) => Promise<void>;
  /** Every how many batches the full check runs (besides the end). */
  fullCheckEvery: number;
}

export interface WorkloadStats {
  operations: number;
  batches: number;
  /** `op status[ code]` → count, e.g. `approve 409 NOT_PENDING`. */
  outcomes: Record<string, number>;
}

export type OperationName =
  'upload' | 'approve' | 'reject' | 'trash' | 'restore' | 'purge' | 'empty-trash' | 'expire' | 'collect-garbage';

const WEIGHTS: Array<[OperationName, number]> = [
  ['upload', 30],
  ['approve', 16],
  ['reject', 8],
  ['trash', 12],
  ['restore', 8],
  ['purge', 8],
  ['empty-trash', 3],
  ['expire', 7],
  ['collect-garbage', 8],
];

/** The statuses (and error codes) the contract allows for each operation in this workload. */
export const ALLOWED: Record<OperationName, Record<number, string[] | true>> = {
  upload: { 201: true },
  approve: { 201: true, 404: ['NOT_FOUND'], 409: ['NOT_PENDING', 'DUPLICATE_CONTENT', 'CONFLICT'] },
  reject: { 200: true, 404: ['NOT_FOUND'], 409: ['NOT_PENDING'] },
  trash: { 204: true, 404: ['NOT_FOUND'] },
  restore: { 200: true, 404: ['NOT_FOUND'] },
  purge: { 204: true, 404: ['NOT_FOUND'] },
  'empty-trash': { 200: true },
  // 409: the same job is already running, here or on the other instance.
  expire: { 200: true, 409: ['CONFLICT'] },
  'collect-garbage': { 200: true, 409: ['CONFLICT'] },
};

const TITLES = ['Report', 'Holiday photo', 'Report', 'Notes'];

/** mulberry32: tiny, fast, good enough to pick operations; deterministic per seed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed from `WORKLOAD_SEED`, or a fresh one; printed so a failing run can be replayed. */
export function workloadSeed(label: string): number {
  const fromEnv = process.env.WORKLOAD_SEED;
  const seed = fromEnv ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 31);
  if (!Number.isSafeInteger(seed)) throw new Error(`WORKLOAD_SEED must be an integer, got ${fromEnv}`);
  console.log(`${label}: WORKLOAD_SEED=${seed}${fromEnv ? ' (from the environment)' : ''}`);
  return seed;
}

export function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/** What a spec reads of one upload result (the body is untyped JSON). */
interface UploadResult {
  hash?: string;
  status: string;
  pendingFile?: { hash?: string };
  mediaFile?: { id?: unknown };
}

interface Targets {
  pending: Array<{ id: string; hash: string }>;
  active: Array<{ id: string; createdBy: string }>;
  trashed: Array<{ id: string; createdBy: string }>;
}

export async function runWorkload(options: WorkloadOptions): Promise<WorkloadStats> {
  const random = prng(options.seed);
  const pick = <T>(items: readonly T[]): T | undefined =>
    items.length ? items[Math.floor(random() * items.length)] : undefined;
  const admin = options.users.find((user) => user.role === 'admin');
  if (!admin) throw new Error('the workload needs an admin user');
  const hashes = new Set(options.contents.map(sha256));
  const stats: WorkloadStats = { operations: 0, batches: 0, outcomes: {} };

  const chooseOperation = (): OperationName => {
    const total = WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0);
    let roll = random() * total;
    for (const [name, weight] of WEIGHTS) {
      roll -= weight;
      if (roll < 0) return name;
    }
    return WEIGHTS[0][0];
  };

  /** Plans one operation (all random choices made now, synchronously, so the run only depends on the seed). */
  const plan = (chosen: OperationName, targets: Targets, step: number): (() => Promise<void>) => {
    // An operation with nothing to act on right now becomes an upload.
    const needs: Partial<Record<OperationName, unknown[]>> = {
      approve: targets.pending,
      reject: targets.pending,
      trash: targets.active,
      restore: targets.trashed,
      purge: targets.trashed,
    };
    const name: OperationName = needs[chosen]?.length === 0 ? 'upload' : chosen;
    const t = pick(options.instances)!;
    const userById = (id: string) => options.users.find((user) => user.id === id);
    const managerOf = (createdBy: string) => (random() < 0.5 ? (userById(createdBy) ?? admin) : admin);
    const label = `#${step} ${name} on instance ${options.instances.indexOf(t)}`;
    const finish = async (response: { status: number; body: Record<string, unknown> }, extra?: () => void) => {
      const code = typeof response.body?.code === 'string' ? response.body.code : undefined;
      const allowed = ALLOWED[name][response.status];
      if (!allowed || (allowed !== true && (!code || !allowed.includes(code)))) {
        throw new Error(
          `seed ${options.seed}: ${label} answered ${response.status} ${JSON.stringify(response.body)} ` +
            '(not allowed by the contract)',
        );
      }
      const key = `${name} ${response.status}${code ? ` ${code}` : ''}`;
      stats.outcomes[key] = (stats.outcomes[key] ?? 0) + 1;
      extra?.();
    };
    switch (name) {
      case 'approve': {
        const target = pick(targets.pending);
        if (!target) break;
        const title = pick(TITLES)!;
        return async () => {
          const response = await t.http
            .post(`/api/pending/${target.id}/approve`)
            .set('Authorization', admin.auth)
            .send({ title });
          await finish(response, () => {
            if (response.status === 201 && response.body.mediaFile?.hash !== target.hash) {
              throw new Error(`seed ${options.seed}: ${label} approved a media file with another hash`);
            }
          });
        };
      }
      case 'reject': {
        const target = pick(targets.pending);
        if (!target) break;
        return async () =>
          finish(
            await t.http
              .post(`/api/pending/${target.id}/reject`)
              .set('Authorization', admin.auth)
              .send({ reason: 'no' }),
          );
      }
      case 'trash': {
        const target = pick(targets.active);
        if (!target) break;
        const user = managerOf(target.createdBy);
        return async () => finish(await t.http.delete(`/api/files/${target.id}`).set('Authorization', user.auth));
      }
      case 'restore': {
        const target = pick(targets.trashed);
        if (!target) break;
        const user = managerOf(target.createdBy);
        return async () => finish(await t.http.post(`/api/trash/${target.id}/restore`).set('Authorization', user.auth));
      }
      case 'purge': {
        const target = pick(targets.trashed);
        if (!target) break;
        return async () => finish(await t.http.delete(`/api/trash/${target.id}`).set('Authorization', admin.auth));
      }
      case 'empty-trash':
        return async () => finish(await t.http.delete('/api/trash').set('Authorization', admin.auth));
      case 'expire': {
        const target = pick(targets.pending);
        return async () => {
          // What time would do: push the expiry into the past, then let the job find it.
          if (target) {
            await options.dataSource.query(
              `UPDATE pending_files SET expires_at = now() - interval '1 minute' WHERE id = $1`,
              [target.id],
            );
          }
          await finish(await t.http.post('/api/admin/maintenance/expire-pending').set('Authorization', admin.auth));
        };
      }
      case 'collect-garbage':
        return async () =>
          finish(await t.http.post('/api/admin/maintenance/collect-garbage').set('Authorization', admin.auth));
      case 'upload':
        break;
    }
    // One part mostly; sometimes two, possibly the same content twice in one request.
    const user = pick(options.users)!;
    const indexes = [Math.floor(random() * options.contents.length)];
    if (random() < 0.2) indexes.push(Math.floor(random() * options.contents.length));
    return async () => {
      let request = t.http.post('/api/uploads').set('Authorization', user.auth);
      for (const index of indexes) request = request.attach('files', options.contents[index], `content-${index}.txt`);
      const response = await request;
      await finish(response, () => {
        const results = response.body.results as UploadResult[];
        results.forEach((result, position) => {
          const ok =
            result?.hash === sha256(options.contents[indexes[position]]) &&
            // (The record is read back after the commit: a concurrent reject may already show in its status.)
            ((['pending', 'pending_updated'].includes(result.status) && result.pendingFile?.hash === result.hash) ||
              (result.status === 'exists' && typeof result.mediaFile?.id === 'string'));
          if (!ok || results.length !== indexes.length) {
            throw new Error(
              `seed ${options.seed}: ${label} (contents ${indexes.join(',')}) ` +
                `answered ${JSON.stringify(response.body)}`,
            );
          }
          const statusKey = `upload result ${result.status}`;
          stats.outcomes[statusKey] = (stats.outcomes[statusKey] ?? 0) + 1;
        });
      });
    };
  };

  /** The workload's own records (the database may hold others, e.g. from earlier tests: they are left alone). */
  const readTargets = async (): Promise<Targets> => {
    const ownHashes = [...hashes];
    const pending = await options.dataSource.query<Targets['pending']>(
      `SELECT id, hash FROM pending_files WHERE hash = ANY($1::text[]) ORDER BY created_at, id`,
      [ownHashes],
    );
    const media = await options.dataSource.query<Array<{ id: string; createdBy: string; trashed: boolean }>>(
      `SELECT id, created_by AS "createdBy", deleted_at IS NOT NULL AS trashed
         FROM media_files WHERE hash = ANY($1::text[]) ORDER BY created_at, id`,
      [ownHashes],
    );
    return {
      // Any status: approving or rejecting one that is not pending any more must answer 409 NOT_PENDING.
      pending,
      active: media.filter((row) => !row.trashed),
      trashed: media.filter((row) => row.trashed),
    };
  };

  let step = 0;
  while (step < options.operations) {
    const size = options.batchSize[0] + Math.floor(random() * (options.batchSize[1] - options.batchSize[0] + 1));
    const targets = await readTargets();
    const batch: Array<() => Promise<void>> = [];
    for (let i = 0; i < size && step < options.operations; i += 1) batch.push(plan(chooseOperation(), targets, ++step));
    await Promise.all(batch.map((run) => run()));
    stats.batches += 1;
    stats.operations = step;
    const full = stats.batches % options.fullCheckEvery === 0 || step >= options.operations;
    await options.check(`seed ${options.seed}, after batch ${stats.batches} (operation ${step})`, full);
  }
  return stats;
}
