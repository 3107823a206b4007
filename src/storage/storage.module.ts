import { Global, Module } from '@nestjs/common';
import { ConfigModule, type ConfigType } from '@nestjs/config';
import { storageConfig } from '../config/storage.config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { MinioObjectStorage } from './minio-object-storage.js';
import { ObjectStorage } from './object-storage.js';

/**
 * Provides the `ObjectStorage` port everywhere. The adapter ensures the bucket exists when the module starts
 * (`onModuleInit`), so the application does not start against a store it cannot use.
 */
@Global()
@Module({
  imports: [ConfigModule.forFeature(storageConfig)],
  providers: [
    {
      provide: ObjectStorage,
      inject: [storageConfig.KEY, { token: MetricsService, optional: true }],
      useFactory: (config: ConfigType<typeof storageConfig>, metrics?: MetricsService) =>
        new MinioObjectStorage({
          endpoint: config.endpoint,
          publicEndpoint: config.publicEndpoint,
          accessKey: config.accessKey,
          secretKey: config.secretKey,
          region: config.region,
          bucket: config.bucket,
          onUnavailable: (operation) => metrics?.storageErrors.inc({ operation }),
        }),
    },
  ],
  exports: [ObjectStorage],
})
export class StorageModule {}
