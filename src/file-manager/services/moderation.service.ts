import { Injectable, Optional } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Readable } from 'node:stream';
import { DataSource, type Repository } from 'typeorm';
import { isAdmin, type AuthenticatedUser } from '../../auth/authenticated-user.js';
import { DomainException } from '../../common/errors/domain.exception.js';
import type { ErrorCode } from '../../common/errors/error-codes.js';
import { offsetOf, toPage, type Page } from '../../common/pagination.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import { ObjectStorage } from '../../storage/object-storage.js';
import { ObjectNotFoundException } from '../../storage/storage.errors.js';
import { PendingFile } from '../entities/pending-file.entity.js';
import { PendingFileNotFoundException } from '../file-manager.errors.js';
import type { ApproveDto, BulkApproveDto, BulkRejectDto, PendingListQueryDto } from '../dto/moderation.dto.js';
import { toMediaFileView, toPendingFileView, type MediaFileView, type PendingFileView } from '../views.js';
import { FileRecordsService } from './file-records.service.js';
import { HashCleanupService } from './hash-cleanup.service.js';

export interface BulkApproveResult {
  results: Array<{ pendingFileId: string; status: 'approved' | 'error'; mediaFileId?: string; error?: ItemError }>;
  summary: { total: number; approved: number; errors: number };
}

export interface BulkRejectResult {
  results: Array<{ id: string; status: 'rejected' | 'error'; error?: ItemError }>;
  summary: { total: number; rejected: number; errors: number };
}

interface ItemError {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/** The moderation queue: members see and manage their own uploads, admins see all and decide. */
@Injectable()
export class ModerationService {
  constructor(
    @InjectRepository(PendingFile) private readonly pendingFiles: Repository<PendingFile>,
    private readonly dataSource: DataSource,
    private readonly hashCleanup: HashCleanupService,
    private readonly records: FileRecordsService,
    private readonly storage: ObjectStorage,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  async list(query: PendingListQueryDto, user: AuthenticatedUser): Promise<Page<PendingFileView>> {
    const [files, count] = await this.pendingFiles.findAndCount({
      where: { status: query.status, ...(isAdmin(user) ? {} : { uploadedById: user.id }) },
      relations: { uploadedBy: true },
      order: { createdAt: 'DESC', id: 'DESC' },
      skip: offsetOf(query),
      take: query.pageSize,
    });
    return toPage(files.map(toPendingFileView), count, query);
  }

  async get(id: string, user: AuthenticatedUser): Promise<PendingFileView> {
    return toPendingFileView(await this.findVisible(id, user));
  }

  /** The pending file's bytes, while its content is stored (a rejected or expired file's may be gone: 404). */
  async content(id: string, user: AuthenticatedUser): Promise<{ file: PendingFile; size: number; body: Readable }> {
    const file = await this.findVisible(id, user);
    const [content] = (await this.dataSource.query(`SELECT object_key AS "objectKey" FROM stored_objects WHERE hash = $1`, [
      file.hash,
    ])) as Array<{ objectKey: string }>;
    if (!content) throw new ObjectNotFoundException();
    return { file, size: file.fileSize, body: await this.storage.getStream(content.objectKey) };
  }

  async approve(id: string, dto: ApproveDto, admin: AuthenticatedUser): Promise<{ status: 'approved'; mediaFile: MediaFileView }> {
    const mediaFileId = await this.hashCleanup.approve(id, dto, admin.id);
    this.metrics?.approvals.inc();
    const mediaFile = await this.records.findMediaFile(mediaFileId);
    if (!mediaFile) throw new DomainException('CONFLICT', 'The approved file was changed concurrently');
    return { status: 'approved', mediaFile: toMediaFileView(mediaFile) };
  }

  async reject(id: string, reason: string | undefined, admin: AuthenticatedUser): Promise<{ status: 'rejected'; pendingFile: PendingFileView }> {
    await this.hashCleanup.reject(id, reason, admin.id);
    const pendingFile = await this.records.findPendingFile(id);
    if (!pendingFile) throw new PendingFileNotFoundException();
    return { status: 'rejected', pendingFile: toPendingFileView(pendingFile) };
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

  /** Owner or admin; anyone else is told it does not exist. */
  private async findVisible(id: string, user: AuthenticatedUser): Promise<PendingFile> {
    const file = await this.records.findPendingFile(id);
    if (!file || (!isAdmin(user) && file.uploadedById !== user.id)) throw new PendingFileNotFoundException();
    return file;
  }
}

/** A domain failure becomes the item's error; anything else (database down, a bug) fails the whole request. */
function itemError(error: unknown): ItemError {
  if (!(error instanceof DomainException)) throw error;
  return { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) };
}
