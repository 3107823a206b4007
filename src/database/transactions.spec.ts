import type { DataSource, QueryRunner } from 'typeorm';
import { AllExceptionsFilter } from '../common/errors/all-exceptions.filter.js';
import { inTransaction } from './transactions.js';

/** A QueryRunner stand-in that records what the helper did with it. */
function fakeDataSource() {
  const calls: string[] = [];
  let active = false;
  const runner = {
    connect: async () => void calls.push('connect'),
    startTransaction: async () => {
      active = true;
      calls.push('begin');
    },
    commitTransaction: async () => {
      active = false;
      calls.push('commit');
    },
    rollbackTransaction: async () => {
      active = false;
      calls.push('rollback');
    },
    release: async () => void calls.push('release'),
    get isTransactionActive() {
      return active;
    },
  } as unknown as QueryRunner;
  return { dataSource: { createQueryRunner: () => runner } as unknown as DataSource, calls };
}

const deadlock = () => Object.assign(new Error('deadlock detected'), { driverError: { code: '40P01' } });

describe('inTransaction', () => {
  it('runs a transaction PostgreSQL aborted for a deadlock again, from the start', async () => {
    const { dataSource, calls } = fakeDataSource();
    let attempts = 0;
    const result = await inTransaction(dataSource, async () => {
      attempts += 1;
      if (attempts === 1) throw deadlock();
      return 'done';
    });
    expect(result).toBe('done');
    expect(attempts).toBe(2);
    expect(calls).toEqual(['connect', 'begin', 'rollback', 'release', 'connect', 'begin', 'commit', 'release']);
  });

  it('gives up after three attempts and lets the conflict through (answered 503, not 500)', async () => {
    const { dataSource } = fakeDataSource();
    let attempts = 0;
    const failure = inTransaction(dataSource, async () => {
      attempts += 1;
      throw deadlock();
    });
    await expect(failure).rejects.toThrow('deadlock detected');
    expect(attempts).toBe(3);
    const body = new AllExceptionsFilter().toErrorBody(await failure.catch((error: unknown) => error));
    expect(body).toMatchObject({ statusCode: 503, code: 'SERVICE_UNAVAILABLE' });
  });

  it('never repeats work that failed for any other reason', async () => {
    const { dataSource, calls } = fakeDataSource();
    let attempts = 0;
    await expect(
      inTransaction(dataSource, async () => {
        attempts += 1;
        throw Object.assign(new Error('duplicate key'), { driverError: { code: '23505' } });
      }),
    ).rejects.toThrow('duplicate key');
    expect(attempts).toBe(1);
    expect(calls).toEqual(['connect', 'begin', 'rollback', 'release']);
  });
});
