import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { appConfig, databaseConfig, httpConfig, metricsConfig } from './config/configuration.js';
import { storageConfig } from './config/storage.config.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { RenditionsModule } from './renditions/renditions.module.js';
import { StorageModule } from './storage/storage.module.js';

/**
 * The root module of a `MEDIAVAULT_ROLE=worker` instance (`createApp` picks it): the rendition worker and what it
 * needs (configuration, database with its start-up migrations, storage, metrics), plus the health and metrics
 * endpoints, the only ones a worker answers. No auth, file manager, maintenance jobs or OpenAPI document: a worker
 * serves none of them (everything else answers 503), and not loading them keeps its memory within the renditions
 * budget (docs/renditions.md, "Benchmark"). The metrics endpoint keeps its own guard (METRICS_ALLOWED_IPS); health
 * is public everywhere.
 */
@Module({
  imports: [
    ConfigModule.forRoot({
      isGlobal: true,
      // main.ts loads .env and resolves embedded defaults before Nest starts.
      ignoreEnvFile: true,
      load: [appConfig, databaseConfig, storageConfig, httpConfig, metricsConfig],
    }),
    MetricsModule,
    DatabaseModule,
    StorageModule,
    HealthModule,
    RenditionsModule,
  ],
})
export class WorkerAppModule {}
