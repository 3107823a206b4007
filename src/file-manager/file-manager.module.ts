import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module.js';
import { RenditionsModule } from '../renditions/renditions.module.js';
import { CollectionsController } from './controllers/collections.controller.js';
import { MediaFilesController } from './controllers/media-files.controller.js';
import { MediaUrlsController } from './controllers/media-urls.controller.js';
import { PendingFilesController } from './controllers/pending-files.controller.js';
import { TagsController } from './controllers/tags.controller.js';
import { TrashController } from './controllers/trash.controller.js';
import { UploadsController } from './controllers/uploads.controller.js';
import { UsagesController } from './controllers/usages.controller.js';
import { FILE_MANAGER_ENTITIES } from './entities/index.js';
import { MediaUrlSigner } from './media-urls/media-url-signer.js';
import { MediaUrlsService } from './media-urls/media-urls.service.js';
import { CollectionsService } from './services/collections.service.js';
import { ContentMaintenanceService } from './services/content-maintenance.service.js';
import { HashCleanupService } from './services/hash-cleanup.service.js';
import { LibrarySearchService } from './services/library-search.service.js';
import { MediaContentService } from './services/media-content.service.js';
import { MediaFileDetailsService } from './services/media-file-details.service.js';
import { MediaFileUpdatesService } from './services/media-file-updates.service.js';
import { MediaFileBulkService } from './services/media-file-bulk.service.js';
import { ContentReplacementService } from './services/content-replacement.service.js';
import { CollectionsRepository } from './repositories/collections.repository.js';
import { MediaFileViewsRepository } from './repositories/media-file-views.repository.js';
import { MediaFilesRepository } from './repositories/media-files.repository.js';
import { PendingFilesRepository } from './repositories/pending-files.repository.js';
import { SearchRepository } from './repositories/search.repository.js';
import { StorageDeletionsRepository } from './repositories/storage-deletions.repository.js';
import { StoredObjectsRepository } from './repositories/stored-objects.repository.js';
import { TagsRepository } from './repositories/tags.repository.js';
import { UploadClaimsRepository } from './repositories/upload-claims.repository.js';
import { UsagesRepository } from './repositories/usages.repository.js';
import { ModerationService } from './services/moderation.service.js';
import { StorageDeletionQueue } from './services/storage-deletion-queue.service.js';
import { TagsService } from './services/tags.service.js';
import { TrashService } from './services/trash.service.js';
import { SearchIndexService } from './services/search-index.service.js';
import { UploadSessionsService } from './services/upload-sessions.service.js';
import { UploadService } from './services/upload.service.js';
import { UsagesService } from './services/usages.service.js';

@Module({
  imports: [TypeOrmModule.forFeature(FILE_MANAGER_ENTITIES), AuthModule, RenditionsModule],
  controllers: [
    UploadsController,
    PendingFilesController,
    TrashController,
    MediaFilesController,
    MediaUrlsController,
    UsagesController,
    TagsController,
    CollectionsController,
  ],
  providers: [
    CollectionsRepository,
    MediaFileViewsRepository,
    MediaFilesRepository,
    PendingFilesRepository,
    SearchRepository,
    StorageDeletionsRepository,
    StoredObjectsRepository,
    TagsRepository,
    UploadClaimsRepository,
    UsagesRepository,
    StorageDeletionQueue,
    HashCleanupService,
    UploadSessionsService,
    UploadService,
    ModerationService,
    TrashService,
    ContentMaintenanceService,
    LibrarySearchService,
    MediaFileDetailsService,
    MediaFileUpdatesService,
    MediaFileBulkService,
    ContentReplacementService,
    MediaContentService,
    MediaUrlSigner,
    MediaUrlsService,
    TagsService,
    CollectionsService,
    UsagesService,
    SearchIndexService,
  ],
  exports: [
    HashCleanupService,
    StorageDeletionQueue,
    TrashService,
    ContentMaintenanceService,
    UploadService,
    SearchIndexService,
  ],
})
export class FileManagerModule {}
