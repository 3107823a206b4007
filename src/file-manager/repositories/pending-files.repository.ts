import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, type QueryRunner, type Repository } from 'typeorm';
import type { FileType, PendingStatus } from '../entities/columns.js';
import { PendingFile } from '../entities/pending-file.entity.js';
import { firstRow, rows } from './db.js';
import type { MediaContentRow } from './media-files.repository.js';

/** The facts of an upload that its pending file records. */
export interface PendingUpload {
  hash: string;
  size: number;
  originalFilename: string;
  contentType: string;
  fileType: FileType;
  width: number | null;
  height: number | null;
  folderPath: string;
  uploadedById: string;
  expiresAt: Date;
}

/** `pending_files`: the moderation queue. Views read the entity with its uploader. */
@Injectable()
export class PendingFilesRepository {
  constructor(
    @InjectRepository(PendingFile) private readonly pendingFiles: Repository<PendingFile>,
    private readonly dataSource: DataSource,
  ) {}

  findWithUploader(id: string): Promise<PendingFile | null> {
    return this.pendingFiles.findOne({ where: { id }, relations: { uploadedBy: true } });
  }

  /**
   * The stored content of a pending file while it is still pending with this content (`hash`), and who uploaded it.
   * `objectKey` is null when the object row is gone.
   */
  async findPendingContent(
    id: string,
    hash: string,
  ): Promise<(MediaContentRow & { uploadedById: string }) | undefined> {
    const row = await firstRow<Omit<MediaContentRow, 'size'> & { size: string; uploadedById: string }>(
      this.dataSource,
      `SELECT p.id, p.hash, p.file_size AS "size", p.content_type AS "contentType",
              p.original_filename AS "originalFilename", p.uploaded_by AS "uploadedById", s.object_key AS "objectKey"
         FROM pending_files p LEFT JOIN stored_objects s ON s.hash = p.hash
        WHERE p.id = $1 AND p.hash = $2 AND p.status = 'pending'`,
      [id, hash],
    );
    return row && { ...row, size: Number(row.size) };
  }

  /** Several pending files with their uploaders, in the order of `ids`. */
  async findManyWithUploader(ids: string[]): Promise<PendingFile[]> {
    if (ids.length === 0) return [];
    const files = await this.pendingFiles.find({ where: { id: In(ids) }, relations: { uploadedBy: true } });
    const byId = new Map(files.map((file) => [file.id, file]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  /** A page of pending files in a status, newest first: one uploader's (`uploadedById`) or everyone's. */
  async list(
    status: PendingStatus,
    uploadedById: string | undefined,
    page: { limit: number; offset: number },
  ): Promise<{ files: PendingFile[]; total: number }> {
    const [files, total] = await this.pendingFiles.findAndCount({
      where: { status, ...(uploadedById === undefined ? {} : { uploadedById }) },
      relations: { uploadedBy: true },
      order: { createdAt: 'DESC', id: 'DESC' },
      skip: page.offset,
      take: page.limit,
    });
    return { files, total };
  }

  /** Ids of pending files past their expiry, soonest first. */
  async expiredIds(limit: number): Promise<string[]> {
    const found = await rows<{ id: string }>(
      this.dataSource,
      `SELECT id FROM pending_files WHERE status = 'pending' AND expires_at <= now() ORDER BY expires_at LIMIT $1`,
      [limit],
    );
    return found.map((row) => row.id);
  }

  async hashOf(runner: QueryRunner, id: string): Promise<string | undefined> {
    return (await firstRow<{ hash: string }>(runner, `SELECT hash FROM pending_files WHERE id = $1`, [id]))?.hash;
  }

  /** The pending file FOR UPDATE, for a decision about it. */
  lockForDecision(runner: QueryRunner, id: string): Promise<{ status: PendingStatus; expiresAt: Date } | undefined> {
    return firstRow(runner, `SELECT status, expires_at AS "expiresAt" FROM pending_files WHERE id = $1 FOR UPDATE`, [
      id,
    ]);
  }

  /** The pending file of this content (at most one: `hash` is unique), whatever its status, FOR UPDATE. */
  async lockIdWithHash(runner: QueryRunner, hash: string): Promise<string | undefined> {
    return (await firstRow<{ id: string }>(runner, `SELECT id FROM pending_files WHERE hash = $1 FOR UPDATE`, [hash]))
      ?.id;
  }

  async insert(runner: QueryRunner, upload: PendingUpload): Promise<string> {
    const [created] = await rows<{ id: string }>(
      runner,
      `INSERT INTO pending_files (hash, original_filename, file_size, content_type, file_type, width, height,
                                  folder_path, uploaded_by, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
      [
        upload.hash,
        upload.originalFilename,
        upload.size,
        upload.contentType,
        upload.fileType,
        upload.width,
        upload.height,
        upload.folderPath,
        upload.uploadedById,
        upload.expiresAt,
      ],
    );
    return created.id;
  }

  /** The record of an earlier upload of the same content, pending again with this upload's facts. */
  async renew(runner: QueryRunner, id: string, upload: PendingUpload): Promise<void> {
    await runner.query(
      `UPDATE pending_files
          SET status = 'pending', reason = NULL, reviewed_by = NULL, reviewed_at = NULL, media_file_id = NULL,
              uploaded_by = $2, original_filename = $3, folder_path = $4, content_type = $5, file_type = $6,
              width = $7, height = $8, file_size = $9, expires_at = $10, updated_at = now()
        WHERE id = $1`,
      [
        id,
        upload.uploadedById,
        upload.originalFilename,
        upload.folderPath,
        upload.contentType,
        upload.fileType,
        upload.width,
        upload.height,
        upload.size,
        upload.expiresAt,
      ],
    );
  }

  async markApproved(runner: QueryRunner, id: string, mediaFileId: string, reviewerId: string): Promise<void> {
    await runner.query(
      `UPDATE pending_files
          SET status = 'approved', media_file_id = $2, reviewed_by = $3, reviewed_at = now(), updated_at = now()
        WHERE id = $1`,
      [id, mediaFileId, reviewerId],
    );
  }

  async markRejected(runner: QueryRunner, id: string, reason: string | null, reviewerId: string): Promise<void> {
    await runner.query(
      `UPDATE pending_files
          SET status = 'rejected', reason = $2, reviewed_by = $3, reviewed_at = now(), updated_at = now()
        WHERE id = $1`,
      [id, reason, reviewerId],
    );
  }

  async markExpired(runner: QueryRunner, id: string): Promise<void> {
    await runner.query(`UPDATE pending_files SET status = 'expired', updated_at = now() WHERE id = $1`, [id]);
  }

  /** One request's folder for all its files, whichever order its parts came in. */
  async setFolderPath(ids: string[], folderPath: string): Promise<void> {
    if (ids.length === 0) return;
    await this.dataSource.query(`UPDATE pending_files SET folder_path = $1 WHERE id = ANY($2::uuid[])`, [
      folderPath,
      ids,
    ]);
  }
}
