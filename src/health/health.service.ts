import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ObjectStorage } from '../storage/object-storage.js';

export type CheckResult = { status: 'up' } | { status: 'down'; error: string };

export interface HealthReport {
  status: 'ok' | 'error';
  checks: { database: CheckResult; storage: CheckResult };
}

const CHECK_TIMEOUT_MS = 3000;

@Injectable()
export class HealthService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly storage: ObjectStorage,
  ) {}

  async check(): Promise<HealthReport> {
    const [database, storage] = await Promise.all([
      probe(() => this.dataSource.query('SELECT 1'), 'database unreachable'),
      probe(() => this.storage.ping(), 'storage unreachable'),
    ]);
    const status = database.status === 'up' && storage.status === 'up' ? 'ok' : 'error';
    return { status, checks: { database, storage } };
  }
}

/** Runs one check with a deadline; the failure text is generic so no host, bucket or SQL leaks out. */
async function probe(check: () => Promise<unknown>, failure: string): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), deadline]);
    return { status: 'up' };
  } catch {
    return { status: 'down', error: failure };
  } finally {
    clearTimeout(timer);
  }
}
