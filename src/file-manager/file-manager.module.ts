import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CollectionsController } from './controllers/collections.controller.js';
import { MediaFilesController } from './controllers/media-files.controller.js';
import { PendingFilesController } from './controllers/pending-files.controller.js';
import { TagsController } from './controllers/tags.controller.js';
import { TrashController } from './controllers/trash.controller.js';
import { UploadsController } from './controllers/uploads.controller.js';
import { UsagesController } from './controllers/usages.controller.js';
import { FILE_MANAGER_ENTITIES } from './entities/index.js';
import { CollectionsService } from './services/collections.service.js';
import { ContentMaintenanceService } from './services/content-maintenance.service.js';
import { FileRecordsService } from './services/file-records.service.js';
import { HashCleanupService } from './services/hash-cleanup.service.js';
import { LibraryService } from './services/library.service.js';
import { ModerationService } from './services/moderation.service.js';
import { StorageDeletionQueue } from './services/storage-deletion-queue.service.js';
import { TagsService } from './services/tags.service.js';
import { TrashService } from './services/trash.service.js';
import { SearchIndexService } from './services/search-index.service.js';
import { UploadSessionsService } from './services/upload-sessions.service.js';
import { UploadService } from './services/upload.service.js';
import { UsagesService } from './services/usages.service.js';

@Module({
  imports: [TypeOrmModule.forFeature(FILE_MANAGER_ENTITIES)],
  controllers: [
    UploadsController,
    PendingFilesController,
    TrashController,
    MediaFilesController,
    UsagesController,
    TagsController,
    CollectionsController,
  ],
  providers: [
    StorageDeletionQueue,
    HashCleanupService,
    UploadSessionsService,
    UploadService,
    FileRecordsService,
    ModerationService,
    TrashService,
    ContentMaintenanceService,
    LibraryService,
    TagsService,
    CollectionsService,
    UsagesService,
    SearchIndexService,
  ],
  exports: [
    HashCleanupService,
    StorageDeletionQueue,
    FileRecordsService,
    TrashService,
    ContentMaintenanceService,
    UploadService,
    SearchIndexService,
  ],
})
export class FileManagerModule {}
