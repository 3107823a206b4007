import { Module } from '@nestjs/common';
import { FileManagerModule } from '../file-manager/file-manager.module.js';
import { MaintenanceController } from './maintenance.controller.js';
import { MaintenanceJobs } from './maintenance.jobs.js';
import { MaintenanceScheduler } from './maintenance.scheduler.js';

@Module({
  imports: [FileManagerModule],
  controllers: [MaintenanceController],
  providers: [MaintenanceJobs, MaintenanceScheduler],
  exports: [MaintenanceJobs],
})
export class MaintenanceModule {}
