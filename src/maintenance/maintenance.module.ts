import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { jobsConfig } from '../config/configuration.js';
import { FileManagerModule } from '../file-manager/file-manager.module.js';
import { RenditionsModule } from '../renditions/renditions.module.js';
import { JobRunsRepository } from './job-runs.repository.js';
import { JobsOverviewService } from './jobs-overview.service.js';
import { MaintenanceController } from './maintenance.controller.js';
import { MaintenanceJobs } from './maintenance.jobs.js';
import { MaintenanceScheduler } from './maintenance.scheduler.js';

@Module({
  imports: [FileManagerModule, RenditionsModule, ConfigModule.forFeature(jobsConfig)],
  controllers: [MaintenanceController],
  providers: [MaintenanceJobs, MaintenanceScheduler, JobRunsRepository, JobsOverviewService],
  exports: [MaintenanceJobs],
})
export class MaintenanceModule {}
