/**
 * The locking design assumes READ COMMITTED. Transactions start with one statement (the isolation level is the
 * connection's default, set when it connects), so a server or database configured otherwise must not change it.
 */
import pg from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../src/database/data-source-options.js';
import { inTransaction } from '../../src/database/transactions.js';
import { useTestApp } from '../support/app.js';

describe('transactions', () => {
  const t = useTestApp();

  it('run at READ COMMITTED even where the database defaults to SERIALIZABLE', async () => {
    const name = new URL(t.databaseUrl).pathname.slice(1);
    const admin = new pg.Client({ connectionString: t.databaseUrl });
    await admin.connect();
    const dataSource = new DataSource(buildDataSourceOptions(t.databaseUrl));
    try {
      await admin.query(`ALTER DATABASE "${name}" SET default_transaction_isolation = 'serializable'`);
      // A plain new connection now gets SERIALIZABLE: the setting is in force.
      const plain = new pg.Client({ connectionString: t.databaseUrl });
      await plain.connect();
      const [{ transaction_isolation: plainLevel }] = (await plain.query('SHOW transaction_isolation')).rows;
      await plain.end();
      expect(plainLevel).toBe('serializable');

      await dataSource.initialize();
      const level = await inTransaction(dataSource, async (runner) => {
        const [row] = (await runner.query('SHOW transaction_isolation')) as Array<{ transaction_isolation: string }>;
        return row.transaction_isolation;
      });
      expect(level).toBe('read committed');
    } finally {
      await admin.query(`ALTER DATABASE "${name}" RESET default_transaction_isolation`);
      await admin.end();
      if (dataSource.isInitialized) await dataSource.destroy();
    }
  });
});
