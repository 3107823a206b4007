/**
 * Forcing interleavings with database locks instead of luck: a *barrier* is a transaction on its own connection
 * that holds the lock the operations under test need. Start operation A, wait until PostgreSQL reports it waiting
 * on a lock, start B, wait until both wait, then release: PostgreSQL grants the lock to A first, so the critical
 * sections run A then B. Swapping the start order gives the other interleaving.
 */
import pg from 'pg';
import { CONTENT_LOCK_CLASS } from '../../src/database/locks.js';

export interface Barrier {
  release(): Promise<void>;
}

async function openBarrier(databaseUrl: string, statements: Array<[string, unknown[]]>): Promise<Barrier> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('BEGIN');
  for (const [sql, params] of statements) await client.query(sql, params);
  return {
    release: async () => {
      await client.query('ROLLBACK');
      await client.end();
    },
  };
}

/** Holds the content lock of `hash` (its stored_objects row, FOR UPDATE). */
export function holdContentLock(databaseUrl: string, hash: string): Promise<Barrier> {
  return openBarrier(databaseUrl, [[`SELECT hash FROM stored_objects WHERE hash = $1 FOR UPDATE`, [hash]]]);
}

/**
 * Holds the content lock's first half, the transaction advisory lock on the hash: every lifecycle step of that
 * content and a rendition worker recording its renditions wait on it (the row lock alone does not stop the worker).
 */
export function holdContentAdvisoryLock(databaseUrl: string, hash: string): Promise<Barrier> {
  return openBarrier(databaseUrl, [[`SELECT pg_advisory_xact_lock($1, hashtext($2))`, [CONTENT_LOCK_CLASS, hash]]]);
}

/**
 * For content not stored yet: an uncommitted insert of its row makes every `INSERT … ON CONFLICT` of the same
 * hash wait on the unique index until the barrier goes away (rolled back, so the waiters then race for real).
 */
export function holdNewContent(databaseUrl: string, hash: string): Promise<Barrier> {
  return openBarrier(databaseUrl, [
    [`INSERT INTO stored_objects (hash, object_key, size) VALUES ($1, $2, 1)`, [hash, `barrier/${hash}`]],
  ]);
}

/** Holds one upload's claim row, so that upload waits before recording and GC waits before judging its key. */
export function holdUploadSession(databaseUrl: string, objectKey: string): Promise<Barrier> {
  return openBarrier(databaseUrl, [
    [`SELECT object_key FROM upload_sessions WHERE object_key = $1 FOR UPDATE`, [objectKey]],
  ]);
}

/** Holds several claim rows (say, a rendition worker's): the worker waits before recording, GC before judging. */
export function holdUploadSessions(databaseUrl: string, objectKeys: string[]): Promise<Barrier> {
  return openBarrier(databaseUrl, [
    [`SELECT object_key FROM upload_sessions WHERE object_key = ANY($1) FOR UPDATE`, [objectKeys]],
  ]);
}

/** Holds a pending file's row FOR UPDATE, so everything that decides on that pending file queues behind it. */
export function holdPendingRow(databaseUrl: string, id: string): Promise<Barrier> {
  return openBarrier(databaseUrl, [[`SELECT id FROM pending_files WHERE id = $1 FOR UPDATE`, [id]]]);
}

/** Holds a media file's row FOR SHARE: a PATCH (FOR UPDATE) and a tag deletion's update of the row both queue on it. */
export function holdMediaRow(databaseUrl: string, id: string): Promise<Barrier> {
  return openBarrier(databaseUrl, [[`SELECT id FROM media_files WHERE id = $1 FOR SHARE`, [id]]]);
}

/** Resolves once at least `count` sessions of `databaseUrl`'s database are waiting on a lock. */
export async function waitForLockWaiters(databaseUrl: string, count: number, timeoutMs = 15_000): Promise<void> {
  const database = new URL(databaseUrl).pathname.slice(1);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await client.query<{ waiting: number }>(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`,
        [database],
      );
      if (rows[0].waiting >= count) return;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${count} lock waiter(s), saw ${rows[0].waiting}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await client.end();
  }
}

/**
 * Runs `first` and then `second` against a barrier: both are started while the barrier holds, each is seen
 * waiting on the lock before the next starts, then the barrier is released. Answers both outcomes.
 */
export async function runInOrder<A, B>(
  databaseUrl: string,
  barrier: Barrier,
  first: () => PromiseLike<A>,
  second: () => PromiseLike<B>,
): Promise<[A, B]> {
  const a = Promise.resolve(first());
  a.catch(() => undefined);
  await waitForLockWaiters(databaseUrl, 1);
  const b = Promise.resolve(second());
  b.catch(() => undefined);
  await waitForLockWaiters(databaseUrl, 2);
  await barrier.release();
  return Promise.all([a, b]);
}

/** The two orders of a race between `a` and `b`, as `it.each` rows: `[a, b]`, then `[b, a]`. */
export function bothOrders<T extends string>(a: T, b: T): Array<[T, T]> {
  return [
    [a, b],
    [b, a],
  ];
}

type Outcomes<O extends Record<string, () => PromiseLike<unknown>>> = { [K in keyof O]: Awaited<ReturnType<O[K]>> };

/**
 * `runInOrder` for named operations: runs `operations[first]`, then `operations[second]` against the barrier and
 * answers the outcomes by name, so a spec written once reads the same whichever order an `it.each` row gives.
 */
export async function raceInOrder<O extends Record<string, () => PromiseLike<unknown>>>(
  databaseUrl: string,
  barrier: Barrier,
  operations: O,
  [first, second]: readonly [keyof O & string, keyof O & string],
): Promise<Outcomes<O>> {
  const [a, b] = await runInOrder(databaseUrl, barrier, operations[first], operations[second]);
  return { [first]: a, [second]: b } as Outcomes<O>;
}
