import { Global, Injectable, Logger, Module, type OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { ConfigType } from '@nestjs/config';
import { DataSource } from 'typeorm';
import { databaseConfig } from '../config/configuration.js';
import { loadMigrations, runMigrationsUnderLock } from './migrator.js';
import { buildDataSourceOptions } from './data-source-options.js';

/** Applies pending migrations when the application starts, under the migrations advisory lock. */
@Injectable()
export class MigrationsOnStartup implements OnModuleInit {
  private readonly logger = new Logger('Migrations');

  constructor(private readonly dataSource: DataSource) {}

  async onModuleInit(): Promise<void> {
    const applied = await runMigrationsUnderLock(this.dataSource);
    this.logger.log(applied.length ? `Applied ${applied.join(', ')}` : 'Schema is up to date');
  }
}

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [databaseConfig.KEY],
      useFactory: async (config: ConfigType<typeof databaseConfig>) => ({
        ...buildDataSourceOptions(config.url),
        migrations: await loadMigrations(),
        // Fail fast: a dependency that is down at start-up is reported, not retried for minutes.
        retryAttempts: 2,
        retryDelay: 1000,
      }),
    }),
  ],
  providers: [MigrationsOnStartup],
})
export class DatabaseModule {}
