import { Injectable, Optional } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { isAdmin, type AuthenticatedUser } from '../../auth/authenticated-user.js';
import { offsetOf, toPage, type Page } from '../../common/pagination.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import { ObjectStorage } from '../../storage/object-storage.js';
import { ObjectNotFoundException } from '../../storage/storage.errors.js';
import type { PendingFile } from '../entities/pending-file.entity.js';
import { ApprovedFileChangedException, PendingFileNotFoundException } from '../file-manager.errors.js';
import type { ApproveDto, BulkApproveDto, BulkRejectDto, PendingListQueryDto } from '../dto/moderation.dto.js';
import { MediaFileViewsRepository } from '../repositories/media-file-views.repository.js';
import { PendingFilesRepository, type PendingFileRecord } from '../repositories/pending-files.repository.js';
import { StoredObjectsRepository } from '../repositories/stored-objects.repository.js';
import type { MediaFileView, PendingFileView } from '../views.js';
import { itemError, type ItemError } from './bulk-items.js';
import { HashCleanupService } from './hash-cleanup.service.js';

export interface BulkApproveResult {
  results: Array<{ pendingFileId: string; status: 'approved' | 'error'; mediaFileId?: string; error?: ItemError }>;
  summary: { total: number; approved: number; errors: number };
}

export interface BulkRejectResult {
  results: Array<{ id: string; status: 'rejected' | 'error'; error?: ItemError }>;
  summary: { total: number; rejected: number; errors: number };
}

/** The moderation queue: members see the pending files they uploaded content of, admins see all and decide. */
@Injectable()
export class ModerationService {
  constructor(
    private readonly hashCleanup: HashCleanupService,
    private readonly pendingFiles: PendingFilesRepository,
    private readonly mediaFileViews: MediaFileViewsRepository,
    private readonly contents: StoredObjectsRepository,
    private readonly storage: ObjectStorage,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  async list(query: PendingListQueryDto, user: AuthenticatedUser): Promise<Page<PendingFileView>> {
    const page = { limit: query.pageSize, offset: offsetOf(query) };
    const { files, total } = await this.pendingFiles.list(query.status, isAdmin(user) ? undefined : user.id, page);
    return toPage(await this.mediaFileViews.pendingViews(files, user), total, query);
  }

  async get(id: string, user: AuthenticatedUser): Promise<PendingFileView> {
    return this.mediaFileViews.pendingView(await this.findVisible(id, user), user);
  }

  /** The pending file's bytes, while its content is stored (a rejected or expired file's may be gone: 404). */
  async content(id: string, user: AuthenticatedUser): Promise<{ file: PendingFile; size: number; body: Readable }> {
    const file = await this.findVisible(id, user);
    const objectKey = await this.contents.objectKeyOf(file.hash);
    if (!objectKey) throw new ObjectNotFoundException();
    return { file, size: file.fileSize, body: await this.storage.getStream(objectKey) };
  }

  async approve(
    id: string,
    dto: ApproveDto,
    admin: AuthenticatedUser,
  ): Promise<{ status: 'approved'; mediaFile: MediaFileView }> {
    let mediaFile: MediaFileView | undefined;
    await this.hashCleanup.approve(id, dto, admin.id, async (runner, mediaFileId) => {
      [mediaFile] = await this.mediaFileViews.findActive([mediaFileId], admin, { readableOnly: false }, runner);
    });
    this.metrics?.approvals.inc();
    if (!mediaFile) throw new ApprovedFileChangedException();
    return { status: 'approved', mediaFile };
  }

  async reject(
    id: string,
    reason: string | undefined,
    admin: AuthenticatedUser,
  ): Promise<{ status: 'rejected'; pendingFile: PendingFileView }> {
    await this.hashCleanup.reject(id, reason, admin.id);
    const pendingFile = await this.pendingFiles.findWithUploader(id);
    if (!pendingFile) throw new PendingFileNotFoundException();
    return { status: 'rejected', pendingFile: await this.mediaFileViews.pendingView(pendingFile, admin) };
  }

  /** Each approval is its own transaction: one failing item does not undo or block the others. */
  async bulkApprove(dto: BulkApproveDto, admin: AuthenticatedUser): Promise<BulkApproveResult> {
    const results: BulkApproveResult['results'] = [];
    for (const { pendingFileId, ...metadata } of dto.approvals) {
      try {
        const mediaFileId = await this.hashCleanup.approve(pendingFileId, metadata, admin.id);
        this.metrics?.approvals.inc();
        results.push({ pendingFileId, status: 'approved', mediaFileId });
      } catch (error) {
        results.push({ pendingFileId, status: 'error', error: itemError(error) });
      }
    }
    const approved = results.filter((result) => result.status === 'approved').length;
    return { results, summary: { total: results.length, approved, errors: results.length - approved } };
  }

  async bulkReject(dto: BulkRejectDto, admin: AuthenticatedUser): Promise<BulkRejectResult> {
    const results: BulkRejectResult['results'] = [];
    for (const id of dto.ids) {
      try {
        await this.hashCleanup.reject(id, dto.reason, admin.id);
        results.push({ id, status: 'rejected' });
      } catch (error) {
        results.push({ id, status: 'error', error: itemError(error) });
      }
    }
    const rejected = results.filter((result) => result.status === 'rejected').length;
    return { results, summary: { total: results.length, rejected, errors: results.length - rejected } };
  }

  /** An uploader of its content or an admin; anyone else is told it does not exist. */
  private async findVisible(id: string, user: AuthenticatedUser): Promise<PendingFileRecord> {
    const file = await this.pendingFiles.findWithUploader(id);
    const isUploader = file?.uploaders.some((uploader) => uploader.id === user.id);
    if (!file || (!isAdmin(user) && !isUploader)) throw new PendingFileNotFoundException();
    return file;
  }
}
