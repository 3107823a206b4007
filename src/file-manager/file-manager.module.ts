import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PendingFilesController } from './controllers/pending-files.controller.js';
import { TrashController } from './controllers/trash.controller.js';
import { UploadsController } from './controllers/uploads.controller.js';
import { FILE_MANAGER_ENTITIES } from './entities/index.js';
import { ContentMaintenanceService } from './services/content-maintenance.service.js';
import { FileRecordsService } from './services/file-records.service.js';
import { HashCleanupService } from './services/hash-cleanup.service.js';
import { ModerationService } from './services/moderation.service.js';
import { StorageDeletionQueue } from './services/storage-deletion-queue.service.js';
import { TrashService } from './services/trash.service.js';
import { UploadSessionsService } from './services/upload-sessions.service.js';
import { UploadService } from './services/upload.service.js';

@Module({
  imports: [TypeOrmModule.forFeature(FILE_MANAGER_ENTITIES)],
  controllers: [UploadsController, PendingFilesController, TrashController],
  providers: [
    StorageDeletionQueue,
    HashCleanupService,
    UploadSessionsService,
    UploadService,
    FileRecordsService,
    ModerationService,
    TrashService,
    ContentMaintenanceService,
  ],
  exports: [
    HashCleanupService,
    StorageDeletionQueue,
    FileRecordsService,
    TrashService,
    ContentMaintenanceService,
    UploadService,
  ],
})
export class FileManagerModule {}
