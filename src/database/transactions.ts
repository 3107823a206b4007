import type { DataSource, QueryRunner } from 'typeorm';
import { isTransientConflict } from '../common/errors/database-errors.js';
import type { AdvisoryLock } from './locks.js';

const MAX_ATTEMPTS = 3;

/**
 * Runs `work` in one explicit transaction on its own QueryRunner: committed when `work` resolves, rolled back
 * when it throws, and the connection always released. Keep the work short: locks are held until it ends.
 *
 * A transaction PostgreSQL aborted to break a deadlock or a serialization conflict is run again (up to three
 * attempts): nothing of it was kept, and `work` only talks to the database and at most *reads* storage (`stat`), so
 * repeating it is safe. Keep it that way: storage writes and deletes happen outside transactions (uploads before
 * their record, deletes after commit through the deletion queue, which leases its batch in one statement). Lock
 * orders are designed to avoid deadlocks; this is the net under the rare case they can't.
 */
export async function inTransaction<T>(dataSource: DataSource, work: (runner: QueryRunner) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await runOnce(dataSource, work);
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || !isTransientConflict(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 * attempt + Math.random() * 20));
    }
  }
}

async function runOnce<T>(dataSource: DataSource, work: (runner: QueryRunner) => Promise<T>): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    // READ COMMITTED, the connection's default (set in data-source-options.ts, so no extra statement here).
    await runner.startTransaction();
    const result = await work(runner);
    await runner.commitTransaction();
    return result;
  } catch (error) {
    if (runner.isTransactionActive) {
      await runner.rollbackTransaction().catch(() => undefined);
    }
    throw error;
  } finally {
    await runner.release();
  }
}

/** Waits for a session-level advisory lock, runs `work` while holding it, and always unlocks. */
export async function withAdvisoryLock<T>(
  dataSource: DataSource,
  lock: AdvisoryLock,
  work: () => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [lock]);
    try {
      return await work();
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [lock]).catch(() => undefined);
    }
  } finally {
    await runner.release();
  }
}

/**
 * Runs `work` only if no other session (in any instance) holds the lock; answers `{ ran: false }` otherwise.
 * Used by background jobs so one instance at a time does each job.
 */
export async function tryWithAdvisoryLock<T>(
  dataSource: DataSource,
  lock: AdvisoryLock,
  work: () => Promise<T>,
): Promise<{ ran: true; result: T } | { ran: false }> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    const [{ locked }] = (await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [lock])) as Array<{
      locked: boolean;
    }>;
    if (!locked) return { ran: false };
    try {
      return { ran: true, result: await work() };
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [lock]).catch(() => undefined);
    }
  } finally {
    await runner.release();
  }
}
