import { Global, Module } from '@nestjs/common';
import { ConfigModule, type ConfigType } from '@nestjs/config';
import { storageConfig } from '../config/storage.config.js';
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
      inject: [storageConfig.KEY],
      useFactory: (config: ConfigType<typeof storageConfig>) =>
        new MinioObjectStorage({
          endpoint: config.endpoint,
          publicEndpoint: config.publicEndpoint,
          accessKey: config.accessKey,
          secretKey: config.secretKey,
          region: config.region,
          bucket: config.bucket,
        }),
    },
  ],
  exports: [ObjectStorage],
})
export class StorageModule {}
