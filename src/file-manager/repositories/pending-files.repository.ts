import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, type QueryRunner, type Repository, type SelectQueryBuilder } from 'typeorm';
import type { FileType, PendingStatus } from '../entities/columns.js';
import { PendingFile } from '../entities/pending-file.entity.js';
import type { UserSource } from '../views.js';
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
  /** A replacement of this media file's content, proposed by its uploader; absent for an ordinary upload. */
  replacesMediaFileId?: string;
}

/** The pending file of a content (one per hash), as an upload or a replacement of that content finds it. */
export interface ContentPendingFile {
  id: string;
  status: PendingStatus;
  /** Set when it is a replacement of that media file's content. */
  replacesMediaFileId: string | null;
}

/** A pending file as views read it: the entity with its first uploader, and every uploader of its content. */
export type PendingFileRecord = PendingFile & { uploaders: UserSource[] };

/**
 * `pending_files`: the moderation queue, and `pending_file_uploaders`: every member who uploaded a record's content
 * (its first uploader is `uploaded_by`). Views read the entity with its uploaders.
 */
@Injectable()
export class PendingFilesRepository {
  constructor(
    @InjectRepository(PendingFile) private readonly pendingFiles: Repository<PendingFile>,
    private readonly dataSource: DataSource,
  ) {}

  /** The pending file with its first uploader (`uploadedBy`) and every uploader of its content. */
  async findWithUploader(id: string): Promise<PendingFileRecord | null> {
    return (await this.withUploaders(this.viewQuery().where('p.id = :id', { id })))[0] ?? null;
  }

  /**
   * The stored content of a pending file while it is still pending with this content (`hash`), and everyone who
   * uploaded it in this round.
   * `objectKey` is null when the object row is gone.
   */
  async findPendingContent(
    id: string,
    hash: string,
  ): Promise<(MediaContentRow & { uploaderIds: string[] }) | undefined> {
    const row = await firstRow<Omit<MediaContentRow, 'size'> & { size: string; uploaderIds: string[] }>(
      this.dataSource,
      `SELECT p.id, p.hash, p.file_size AS "size", p.content_type AS "contentType",
              p.original_filename AS "originalFilename", s.object_key AS "objectKey",
              ARRAY(SELECT pfu.user_id FROM pending_file_uploaders pfu WHERE pfu.pending_file_id = p.id)
                AS "uploaderIds"
         FROM pending_files p LEFT JOIN stored_objects s ON s.hash = p.hash
        WHERE p.id = $1 AND p.hash = $2 AND p.status = 'pending'`,
      [id, hash],
    );
    return row && { ...row, size: Number(row.size) };
  }

  /** Several pending files with their uploaders, in the order of `ids`. */
  async findManyWithUploader(ids: string[]): Promise<PendingFileRecord[]> {
    if (ids.length === 0) return [];
    const files = await this.withUploaders(this.viewQuery().where('p.id IN (:...ids)', { ids }));
    const byId = new Map(files.map((file) => [file.id, file]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  /** A page of pending files in a status, newest first: those `uploaderId` is an uploader of, or everyone's. */
  async list(
    status: PendingStatus,
    uploaderId: string | undefined,
    page: { limit: number; offset: number },
  ): Promise<{ files: PendingFileRecord[]; total: number }> {
    const query = this.viewQuery().where('p.status = :status', { status });
    if (uploaderId !== undefined) {
      query.andWhere(
        `EXISTS (SELECT 1 FROM pending_file_uploaders pfu
                  WHERE pfu.pending_file_id = p.id AND pfu.user_id = :uploaderId)`,
        { uploaderId },
      );
    }
    const [files, total] = await Promise.all([
      this.withUploaders(
        query.clone().orderBy('p.createdAt', 'DESC').addOrderBy('p.id', 'DESC').offset(page.offset).limit(page.limit),
      ),
      query.getCount(),
    ]);
    return { files, total };
  }

  /**
   * Pending files with their first uploader and, in the same query, every uploader of their content (in the order
   * they first uploaded it): one round trip per view, which the upload answer pays for every file.
   */
  private viewQuery(): SelectQueryBuilder<PendingFile> {
    return this.pendingFiles
      .createQueryBuilder('p')
      .innerJoinAndSelect('p.uploadedBy', 'u')
      .addSelect(
        `(SELECT coalesce(json_agg(json_build_object('id', pu.id, 'name', pu.name, 'email', pu.email)
                                   ORDER BY pfu.first_uploaded_at, pu.id), '[]')
            FROM pending_file_uploaders pfu JOIN users pu ON pu.id = pfu.user_id
           WHERE pfu.pending_file_id = p.id)`,
        'p_uploaders',
      );
  }

  private async withUploaders(query: SelectQueryBuilder<PendingFile>): Promise<PendingFileRecord[]> {
    const { entities, raw } = await query.getRawAndEntities<{ p_id: string; p_uploaders: UserSource[] }>();
    const uploaders = new Map(raw.map((row) => [row.p_id, row.p_uploaders]));
    return entities.map((file) => Object.assign(file, { uploaders: uploaders.get(file.id) ?? [] }));
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

  /** What an approval needs to know before its locks (read without a lock): the content, and the file it replaces. */
  kindOf(id: string): Promise<{ hash: string; replacesMediaFileId: string | null } | undefined> {
    return firstRow(
      this.dataSource,
      `SELECT hash, replaces_media_file_id AS "replacesMediaFileId" FROM pending_files WHERE id = $1`,
      [id],
    );
  }

  /** The pending file FOR UPDATE, for a decision about it. */
  lockForDecision(
    runner: QueryRunner,
    id: string,
  ): Promise<{ status: PendingStatus; expiresAt: Date; replacesMediaFileId: string | null } | undefined> {
    return firstRow(
      runner,
      `SELECT status, expires_at AS "expiresAt", replaces_media_file_id AS "replacesMediaFileId"
         FROM pending_files WHERE id = $1 FOR UPDATE`,
      [id],
    );
  }

  /** The replacements of a media file waiting for moderation, in id order; FOR UPDATE with `lock`. */
  pendingReplacementsOf(
    runner: QueryRunner,
    mediaFileId: string,
    options: { lock: boolean },
  ): Promise<Array<{ id: string; hash: string }>> {
    return rows(
      runner,
      `SELECT id, hash FROM pending_files WHERE replaces_media_file_id = $1 AND status = 'pending'
        ORDER BY id ${options.lock ? 'FOR UPDATE' : ''}`,
      [mediaFileId],
    );
  }

  /**
   * What an upload of this content finds: the active media file of it, if any, and its pending file (at most one:
   * `hash` is unique) whatever its status, FOR UPDATE. One statement, as it is on every upload's path.
   */
  async lockRecordsOfContent(
    runner: QueryRunner,
    hash: string,
  ): Promise<{ activeMediaFileId?: string; pending?: ContentPendingFile }> {
    const row = await firstRow<{
      activeMediaFileId: string | null;
      id: string | null;
      status: PendingStatus | null;
      replacesMediaFileId: string | null;
    }>(
      runner,
      `WITH pending AS (SELECT id, status, replaces_media_file_id FROM pending_files WHERE hash = $1 FOR UPDATE)
       SELECT (SELECT id FROM media_files WHERE hash = $1 AND deleted_at IS NULL) AS "activeMediaFileId",
              pending.id, pending.status, pending.replaces_media_file_id AS "replacesMediaFileId"
         FROM (VALUES (1)) AS one LEFT JOIN pending ON true`,
      [hash],
    );
    return {
      ...(row?.activeMediaFileId ? { activeMediaFileId: row.activeMediaFileId } : {}),
      ...(row?.id && row.status
        ? { pending: { id: row.id, status: row.status, replacesMediaFileId: row.replacesMediaFileId } }
        : {}),
    };
  }

  /** A new pending file, with the upload's uploader as the first of its uploaders (one statement). */
  async insert(runner: QueryRunner, upload: PendingUpload): Promise<string> {
    const [created] = await rows<{ id: string }>(
      runner,
      `WITH created AS (
         INSERT INTO pending_files (hash, original_filename, file_size, content_type, file_type, width, height,
                                    folder_path, uploaded_by, expires_at, replaces_media_file_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id, uploaded_by)
       INSERT INTO pending_file_uploaders (pending_file_id, user_id, first_uploaded_at)
       SELECT id, uploaded_by, clock_timestamp() FROM created RETURNING pending_file_id AS id`,
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
        upload.replacesMediaFileId ?? null,
      ],
    );
    return created.id;
  }

  /**
   * The record of an earlier upload of the same content, pending again with this upload's facts. Its uploaders
   * stay unless `newRound` (the record was decided or expired): then this upload's uploader is its first again,
   * and the record is what this upload is (a replacement of `replacesMediaFileId`, or an ordinary upload); a
   * record still pending stays what it is. The caller adds the upload's uploader (`addUploader`) in the same
   * transaction.
   */
  async renew(runner: QueryRunner, id: string, upload: PendingUpload, options: { newRound: boolean }): Promise<void> {
    if (options.newRound) await runner.query(`DELETE FROM pending_file_uploaders WHERE pending_file_id = $1`, [id]);
    await runner.query(
      `UPDATE pending_files
          SET status = 'pending', reason = NULL, reviewed_by = NULL, reviewed_at = NULL, media_file_id = NULL,
              uploaded_by = CASE WHEN $11 THEN $2 ELSE uploaded_by END, original_filename = $3, folder_path = $4,
              replaces_media_file_id = CASE WHEN $11 THEN $12 ELSE replaces_media_file_id END,
              content_type = $5, file_type = $6,
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
        options.newRound,
        upload.replacesMediaFileId ?? null,
      ],
    );
  }

  /**
   * `userId` uploaded the record's content (again): one of its uploaders from now on, if not already. The clock, not
   * the transaction's start (`now()`): uploads are ordered by the content lock, which a later-started transaction
   * may take first.
   */
  async addUploader(runner: QueryRunner, id: string, userId: string): Promise<void> {
    await runner.query(
      `INSERT INTO pending_file_uploaders (pending_file_id, user_id, first_uploaded_at)
       VALUES ($1, $2, clock_timestamp()) ON CONFLICT DO NOTHING`,
      [id, userId],
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

  /** `reviewerId` null: rejected by the system (a replacement superseded by a newer one). */
  async markRejected(runner: QueryRunner, id: string, reason: string | null, reviewerId: string | null): Promise<void> {
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
