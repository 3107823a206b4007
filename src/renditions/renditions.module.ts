import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { renditionsConfig, uploadConfig } from '../config/configuration.js';
import { RenditionJobsRepository } from './rendition-jobs.repository.js';
import { RenditionWorker } from './rendition-worker.service.js';
import { RenditionsMaintenance } from './renditions-maintenance.service.js';
import { RenditionsService } from './renditions.service.js';

/**
 * Thumbnails, previews, placeholders and extracted metadata of stored contents: generators (`generation/`),
 * the durable queue in PostgreSQL and its worker. See docs/renditions.md.
 */
@Module({
  imports: [ConfigModule.forFeature(renditionsConfig), ConfigModule.forFeature(uploadConfig)],
  providers: [RenditionJobsRepository, RenditionWorker, RenditionsService, RenditionsMaintenance],
  exports: [RenditionsService, RenditionWorker, RenditionsMaintenance],
})
export class RenditionsModule {}
