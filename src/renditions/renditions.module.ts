import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { renditionsConfig } from '../config/configuration.js';
import { RenditionJobsRepository } from './rendition-jobs.repository.js';
import { RenditionWorker } from './rendition-worker.service.js';
import { RenditionsService } from './renditions.service.js';

/**
 * Thumbnails, previews, placeholders and extracted metadata of stored contents: generators (`generation/`),
 * the durable queue in PostgreSQL and its worker. See docs/renditions.md.
 */
@Module({
  imports: [ConfigModule.forFeature(renditionsConfig)],
  providers: [RenditionJobsRepository, RenditionWorker, RenditionsService],
  exports: [RenditionsService, RenditionWorker],
})
export class RenditionsModule {}
