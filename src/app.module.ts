import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AuthModule } from './auth/auth.module.js';
import {
  appConfig,
  authConfig,
  databaseConfig,
  httpConfig,
  metricsConfig,
  uploadConfig,
} from './config/configuration.js';
import { storageConfig } from './config/storage.config.js';
import { DatabaseModule } from './database/database.module.js';
import { FileManagerModule } from './file-manager/file-manager.module.js';
import { HealthModule } from './health/health.module.js';
import { HttpEdgeModule } from './http/http.module.js';
import { MaintenanceModule } from './maintenance/maintenance.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { RenditionsModule } from './renditions/renditions.module.js';
import { StorageModule } from './storage/storage.module.js';

@Module({
  imports: [
    ConfigModule.forRoot({
      isGlobal: true,
      // main.ts loads .env and resolves embedded defaults before Nest starts.
      ignoreEnvFile: true,
      load: [appConfig, databaseConfig, storageConfig, authConfig, uploadConfig, httpConfig, metricsConfig],
    }),
    MetricsModule,
    HttpEdgeModule,
    DatabaseModule,
    StorageModule,
    AuthModule,
    HealthModule,
    FileManagerModule,
    MaintenanceModule,
    RenditionsModule,
  ],
})
export class AppModule {}
