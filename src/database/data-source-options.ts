import type { DataSourceOptions } from 'typeorm';
import { ALL_ENTITIES } from './entities.js';

/** The one definition of how mediavault talks to PostgreSQL, shared by the app and the migration CLI. */
export function buildDataSourceOptions(url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ALL_ENTITIES,
    migrationsTableName: 'migrations',
    // Never: the schema changes only through reviewed migrations.
    synchronize: false,
    migrationsRun: false,
    // Off: TypeORM's error log prints the failed query *with its parameters*, so an expected unique violation
    // (EMAIL_TAKEN) wrote the new user's password hash to the log. Unexpected failures are still logged, without
    // parameters, by the exception filter (requests) and by the maintenance jobs.
    logging: false,
    extra: {
      max: 20,
      connectionTimeoutMillis: 5000,
      // A dead peer must not hang a request forever.
      query_timeout: 60_000,
      // Every transaction runs at READ COMMITTED (the locking design assumes it), whatever the server's default:
      // set once per connection, so a transaction's start is one statement instead of two.
      options: '-c default_transaction_isolation=read\\ committed',
    },
  };
}
