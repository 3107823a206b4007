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
    logging: ['error'],
    extra: {
      max: 20,
      connectionTimeoutMillis: 5000,
      // A dead peer must not hang a request forever.
      query_timeout: 60_000,
    },
  };
}
