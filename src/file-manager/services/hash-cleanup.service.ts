import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { DataSource, type QueryRunner } from 'typeorm';
import { isUniqueViolation } from '../../common/errors/database-errors.js';
import { uploadConfig } from '../../config/configuration.js';
import { queryRows } from '../../database/sql.js';
import { CONTENT_LOCK_CLASS } from '../../database/locks.js';
import { inTransaction } from '../../database/transactions.js';
import { ObjectStorage } from '../../storage/object-storage.js';
import type { AccessLevel, FileType } from '../entities/columns.js';
import {
  ContentMissingException,
  DuplicateContentException,
  MediaFileNotFoundException,
  NotPendingException,
  PendingFileNotFoundException,
  SlugTakenException,
  UnknownCollectionsException,
  UnknownTagsException,
  UploadInterruptedException,
} from '../file-manager.errors.js';
import { firstFreeSlug, slugify } from '../utils/slug.util.js';
import { StorageDeletionQueue } from './storage-deletion-queue.service.js';

export interface StoredUpload {
  hash: string;
  size: number;
  objectKey: string;
  originalFilename: string;
  contentType: string;
  fileType: FileType;
  width: number | null;
  height: number | null;
  folderPath: string;
  uploadedById: string;
}

export type UploadOutcome = (
  | { status: 'pending' | 'pending_updated'; pendingFileId: string }
  | { status: 'exists'; mediaFileId: string }
) & {
  /** The content was already stored: this upload's copy is dropped and the stored one reused (a dedup hit). */
  reusedStoredContent: boolean;
};

export interface MediaFileMetadata {
  title: string;
  slug?: string;
  description?: string;
  tagIds?: string[];
  collectionIds?: string[];
  accessLevel?: AccessLevel;
}

interface ContentRow {
  hash: string;
  objectKey: string;
}

/**
 * The one place that decides what happens to stored content. Every method is one explicit QueryRunner
 * transaction that first takes the *content lock* of the hash — a transaction advisory lock on the hash, then its
 * `stored_objects` row `FOR UPDATE` (for uploads, created with `INSERT … ON CONFLICT DO UPDATE`, which locks too) —
 * and only then the records (pending file, media file). Taking locks in that order everywhere rules out deadlocks between these operations, and holding
 * the content lock while checking references makes "is this content still needed?" a decision no concurrent
 * request — in this instance or another — can invalidate before commit.
 *
 * Content is needed while any media file (active or trashed) or any pending file in status `pending` has its
 * hash. When a change leaves it unneeded, the `stored_objects` row is deleted and the object's delete is written
 * to the outbox in the same transaction; the object key is unique to that stored incarnation, so a later upload
 * of the same bytes gets a new key that the pending delete cannot touch.
 */
@Injectable()
export class HashCleanupService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly storage: ObjectStorage,
    private readonly deletions: StorageDeletionQueue,
    @Inject(uploadConfig.KEY) private readonly config: ConfigType<typeof uploadConfig>,
  ) {}

  /**
   * Records an upload whose bytes are already stored at `upload.objectKey`: claims that object as the content's
   * copy (or finds the copy already stored and queues ours for deletion), then creates or reuses the pending file.
   */
  async recordUpload(upload: StoredUpload): Promise<UploadOutcome> {
    let reusedStoredContent = false;
    const outcome = await inTransaction(this.dataSource, async (runner) => {
      // Claim our object from garbage collection first; a lapsed claim means GC may already have taken it.
      const claimed = await queryRows(runner, `DELETE FROM upload_sessions WHERE object_key = $1 RETURNING object_key`, [
        upload.objectKey,
      ]);
      if (claimed.length === 0) throw new UploadInterruptedException();

      // The hash lock, then the upsert, which locks the content row itself (no separate SELECT … FOR UPDATE).
      await this.lockHash(runner, upload.hash);
      const content = await this.claimContent(runner, upload);
      reusedStoredContent = content.objectKey !== upload.objectKey;
      if (reusedStoredContent) {
        await this.deletions.enqueue(runner, [upload.objectKey], 'duplicate-upload');
      }

      const [active] = (await runner.query(
        `SELECT id FROM media_files WHERE hash = $1 AND deleted_at IS NULL`,
        [upload.hash],
      )) as Array<{ id: string }>;
      if (active) return { status: 'exists', mediaFileId: active.id } as const;

      const expiresAt = new Date(Date.now() + this.config.pendingTtlHours * 3_600_000);
      const [existing] = (await runner.query(`SELECT id FROM pending_files WHERE hash = $1 FOR UPDATE`, [
        upload.hash,
      ])) as Array<{ id: string }>;
      if (existing) {
        // Same content again (pending, rejected, expired, or approved-then-trashed): reuse the record.
        await runner.query(
          `UPDATE pending_files
              SET status = 'pending', reason = NULL, reviewed_by = NULL, reviewed_at = NULL, media_file_id = NULL,
                  uploaded_by = $2, original_filename = $3, folder_path = $4, content_type = $5, file_type = $6,
                  width = $7, height = $8, file_size = $9, expires_at = $10, updated_at = now()
            WHERE id = $1`,
          [
            existing.id,
            upload.uploadedById,
            upload.originalFilename,
            upload.folderPath,
            upload.contentType,
            upload.fileType,
            upload.width,
            upload.height,
            upload.size,
            expiresAt,
          ],
        );
        return { status: 'pending_updated', pendingFileId: existing.id } as const;
      }
      const [created] = (await runner.query(
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
          expiresAt,
        ],
      )) as Array<{ id: string }>;
      return { status: 'pending', pendingFileId: created.id } as const;
    });
    this.deletions.drainSoon();
    return { ...outcome, reusedStoredContent };
  }

  /**
   * Approves a pending file: one transaction that hard-deletes a trashed media file of the same content (its
   * tags, collections and usages go with it), creates the new media file with fresh metadata, and marks the
   * pending file approved. The stored object is kept: it is the same content. Any failure rolls everything back.
   */
  async approve(pendingFileId: string, metadata: MediaFileMetadata, reviewerId: string): Promise<string> {
    return inTransaction(this.dataSource, async (runner) => {
      const hash = await this.hashOfPendingFile(runner, pendingFileId);
      const content = await this.lockContent(runner, hash);
      const pending = await this.lockPendingFile(runner, pendingFileId);
      if (pending.status !== 'pending') throw new NotPendingException(pending.status);
      if (!content) throw new ContentMissingException();

      // Tags and collections (FOR SHARE) before the media row, the order of a PATCH and of a tag or collection
      // deletion (which locks the files carrying it); a duplicate still answers before an unknown tag.
      const tagIds = unique(metadata.tagIds);
      const collectionIds = unique(metadata.collectionIds);
      const missingTags = await this.lockExisting(runner, 'tags', tagIds);
      const missingCollections = await this.lockExisting(runner, 'collections', collectionIds);
      const [existing] = (await runner.query(
        `SELECT id, deleted_at AS "deletedAt" FROM media_files WHERE hash = $1 FOR UPDATE`,
        [hash],
      )) as Array<{ id: string; deletedAt: Date | null }>;
      if (existing && existing.deletedAt === null) throw new DuplicateContentException(existing.id);
      if (missingTags.length) throw new UnknownTagsException(missingTags);
      if (missingCollections.length) throw new UnknownCollectionsException(missingCollections);
      // Never create a media file whose bytes are gone; storage being down aborts (and rolls back) the approval.
      if (!(await this.storage.stat(content.objectKey))) throw new ContentMissingException();

      if (existing) await runner.query(`DELETE FROM media_files WHERE id = $1`, [existing.id]);
      const mediaFileId = await this.insertMediaFile(runner, pendingFileId, metadata);
      await this.linkMediaFile(runner, mediaFileId, tagIds, collectionIds);
      await runner.query(
        `UPDATE pending_files
            SET status = 'approved', media_file_id = $2, reviewed_by = $3, reviewed_at = now(), updated_at = now()
          WHERE id = $1`,
        [pendingFileId, mediaFileId, reviewerId],
      );
      return mediaFileId;
    });
  }

  /** Rejects a pending file (the record stays) and frees its content unless another record still needs it. */
  async reject(pendingFileId: string, reason: string | undefined, reviewerId: string): Promise<void> {
    await inTransaction(this.dataSource, async (runner) => {
      const hash = await this.hashOfPendingFile(runner, pendingFileId);
      await this.lockContent(runner, hash);
      const pending = await this.lockPendingFile(runner, pendingFileId);
      if (pending.status !== 'pending') throw new NotPendingException(pending.status);
      await runner.query(
        `UPDATE pending_files
            SET status = 'rejected', reason = $2, reviewed_by = $3, reviewed_at = now(), updated_at = now()
          WHERE id = $1`,
        [pendingFileId, reason ?? null, reviewerId],
      );
      await this.releaseIfUnneeded(runner, hash);
    });
    this.deletions.drainSoon();
  }

  /**
   * Marks a pending file expired if it still is pending and past its expiry, freeing its content unless needed.
   * Answers whether it expired it (a concurrent re-upload may have refreshed it in the meantime).
   */
  async expire(pendingFileId: string): Promise<boolean> {
    const expired = await inTransaction(this.dataSource, async (runner) => {
      const hash = await this.hashOfPendingFile(runner, pendingFileId);
      await this.lockContent(runner, hash);
      const pending = await this.lockPendingFile(runner, pendingFileId);
      if (pending.status !== 'pending' || pending.expiresAt.getTime() > Date.now()) return false;
      await runner.query(`UPDATE pending_files SET status = 'expired', updated_at = now() WHERE id = $1`, [
        pendingFileId,
      ]);
      await this.releaseIfUnneeded(runner, hash);
      return true;
    });
    if (expired) this.deletions.drainSoon();
    return expired;
  }

  /**
   * Purges a trashed media file for good; its content is freed unless another record still needs it.
   * `check` runs under the locks, with the locked row, to refuse (it throws) when the caller may not purge it.
   */
  async purge(mediaFileId: string, check: (file: { createdById: string }) => void = () => undefined): Promise<void> {
    await inTransaction(this.dataSource, async (runner) => {
      const hash = await this.hashOfMediaFile(runner, mediaFileId);
      await this.lockContent(runner, hash);
      const file = await this.lockMediaFile(runner, mediaFileId);
      if (!file || file.deletedAt === null) throw new MediaFileNotFoundException();
      check(file);
      await runner.query(`DELETE FROM media_files WHERE id = $1`, [mediaFileId]);
      await this.releaseIfUnneeded(runner, hash);
    });
    this.deletions.drainSoon();
  }

  /**
   * Restores a trashed media file. Takes the content lock like every other change of a media file's life, so a
   * restore and an approval that replaces the trashed file are ordered: exactly one of them wins.
   */
  async restore(mediaFileId: string, check: (file: { createdById: string }) => void = () => undefined): Promise<void> {
    await inTransaction(this.dataSource, async (runner) => {
      const hash = await this.hashOfMediaFile(runner, mediaFileId);
      await this.lockContent(runner, hash);
      const file = await this.lockMediaFile(runner, mediaFileId);
      if (!file || file.deletedAt === null) throw new MediaFileNotFoundException();
      check(file);
      await runner.query(
        `UPDATE media_files SET deleted_at = NULL, deleted_by = NULL, updated_at = now() WHERE id = $1`,
        [mediaFileId],
      );
    });
  }

  /**
   * Frees every stored content that no record needs any more (normally none: each change frees its own content
   * in its transaction; this re-checks, under the content lock, after crashes or manual database edits).
   */
  async releaseAllUnneeded(): Promise<number> {
    const candidates = (await this.dataSource.query(
      `SELECT s.hash FROM stored_objects s
        WHERE NOT EXISTS (SELECT 1 FROM media_files m WHERE m.hash = s.hash)
          AND NOT EXISTS (SELECT 1 FROM pending_files p WHERE p.hash = s.hash AND p.status = 'pending')`,
    )) as Array<{ hash: string }>;
    let released = 0;
    for (const { hash } of candidates) {
      const freed = await inTransaction(this.dataSource, async (runner) => {
        if (!(await this.lockContent(runner, hash))) return false;
        return this.releaseIfUnneeded(runner, hash);
      });
      if (freed) released += 1;
    }
    if (released) this.deletions.drainSoon();
    return released;
  }

  /**
   * Under the content lock (the caller holds it): deletes the content row and queues the object's deletion when
   * no media file (active or trashed) and no pending file in status `pending` has this hash. Answers whether it did.
   */
  private async releaseIfUnneeded(runner: QueryRunner, hash: string): Promise<boolean> {
    const [{ needed }] = (await runner.query(
      `SELECT EXISTS (SELECT 1 FROM media_files WHERE hash = $1)
           OR EXISTS (SELECT 1 FROM pending_files WHERE hash = $1 AND status = 'pending') AS needed`,
      [hash],
    )) as Array<{ needed: boolean }>;
    if (needed) return false;
    const freed = await queryRows<{ objectKey: string }>(
      runner,
      `DELETE FROM stored_objects WHERE hash = $1 RETURNING object_key AS "objectKey"`,
      [hash],
    );
    await this.deletions.enqueue(
      runner,
      freed.map((row) => row.objectKey),
      'content-released',
    );
    return freed.length > 0;
  }

  /**
   * The content lock for an upload: inserts the content row pointing at the uploaded object, or (when the content
   * is already stored) locks the existing row. `DO UPDATE` rather than `DO NOTHING`: only the former locks the
   * row. A row whose object has vanished from storage is repointed at the fresh upload (self-healing).
   */
  private async claimContent(runner: QueryRunner, upload: StoredUpload): Promise<ContentRow> {
    const [row] = (await runner.query(
      `INSERT INTO stored_objects (hash, object_key, size) VALUES ($1, $2, $3)
       ON CONFLICT (hash) DO UPDATE SET updated_at = now()
       RETURNING hash, object_key AS "objectKey"`,
      [upload.hash, upload.objectKey, upload.size],
    )) as ContentRow[];
    if (row.objectKey === upload.objectKey) return row;
    if (await this.storage.stat(row.objectKey)) return row;
    await runner.query(`UPDATE stored_objects SET object_key = $2, verified_at = NULL WHERE hash = $1`, [
      upload.hash,
      upload.objectKey,
    ]);
    await this.deletions.enqueue(runner, [row.objectKey], 'content-released');
    return { hash: upload.hash, objectKey: upload.objectKey };
  }

  /**
   * Takes the content lock of `hash` and answers its content row, if the content is stored. Must be the first lock
   * of the transaction (see the class comment). The lock is a transaction-scoped advisory lock on the hash, so it
   * exists whether or not the content is stored right now: a freed content that a concurrent upload is storing again
   * is locked all the same (a row lock alone would lock nothing there and let the two take their other locks in
   * opposite orders). The row is then locked too.
   */
  private async lockContent(runner: QueryRunner, hash: string): Promise<ContentRow | undefined> {
    await this.lockHash(runner, hash);
    const [row] = (await runner.query(
      `SELECT hash, object_key AS "objectKey" FROM stored_objects WHERE hash = $1 FOR UPDATE`,
      [hash],
    )) as ContentRow[];
    return row;
  }

  /** The advisory half of the content lock: held until the transaction ends, whether or not the content is stored. */
  private async lockHash(runner: QueryRunner, hash: string): Promise<void> {
    await runner.query(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, [CONTENT_LOCK_CLASS, hash]);
  }

  private async hashOfPendingFile(runner: QueryRunner, id: string): Promise<string> {
    const [row] = (await runner.query(`SELECT hash FROM pending_files WHERE id = $1`, [id])) as Array<{ hash: string }>;
    if (!row) throw new PendingFileNotFoundException();
    return row.hash;
  }

  private async hashOfMediaFile(runner: QueryRunner, id: string): Promise<string> {
    const [row] = (await runner.query(`SELECT hash FROM media_files WHERE id = $1`, [id])) as Array<{ hash: string }>;
    if (!row) throw new MediaFileNotFoundException();
    return row.hash;
  }

  private async lockPendingFile(
    runner: QueryRunner,
    id: string,
  ): Promise<{ status: string; expiresAt: Date; uploadedById: string; originalFilename: string }> {
    const [row] = (await runner.query(
      `SELECT status, expires_at AS "expiresAt", uploaded_by AS "uploadedById", original_filename AS "originalFilename"
         FROM pending_files WHERE id = $1 FOR UPDATE`,
      [id],
    )) as Array<{ status: string; expiresAt: Date; uploadedById: string; originalFilename: string }>;
    if (!row) throw new PendingFileNotFoundException();
    return row;
  }

  private async lockMediaFile(
    runner: QueryRunner,
    id: string,
  ): Promise<{ createdById: string; deletedAt: Date | null } | undefined> {
    const [row] = (await runner.query(
      `SELECT created_by AS "createdById", deleted_at AS "deletedAt" FROM media_files WHERE id = $1 FOR UPDATE`,
      [id],
    )) as Array<{ createdById: string; deletedAt: Date | null }>;
    return row;
  }

  /** Locks the rows that exist (FOR SHARE, in id order) and answers the ids that don't. */
  private async lockExisting(runner: QueryRunner, table: 'tags' | 'collections', ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    // FOR SHARE: a tag or collection being deleted right now can't vanish between this check and the link insert.
    const found = (await runner.query(`SELECT id FROM ${table} WHERE id = ANY($1::uuid[]) ORDER BY id FOR SHARE`, [ids])) as Array<{
      id: string;
    }>;
    const foundIds = new Set(found.map((row) => row.id));
    return ids.filter((id) => !foundIds.has(id));
  }

  /**
   * Inserts the media file, copying the pending file's facts. A generated slug that a concurrent approval takes
   * first is retried with the next suffix inside a savepoint, so the transaction itself never aborts.
   */
  private async insertMediaFile(runner: QueryRunner, pendingFileId: string, metadata: MediaFileMetadata): Promise<string> {
    const insert = (slug: string) =>
      runner.query(
        `INSERT INTO media_files (hash, title, slug, description, original_filename, file_size, content_type,
                                  file_type, width, height, access_level, created_by)
         SELECT p.hash, $2, $3, $4, p.original_filename, p.file_size, p.content_type, p.file_type, p.width, p.height,
                $5, p.uploaded_by
           FROM pending_files p WHERE p.id = $1
         RETURNING id`,
        [pendingFileId, metadata.title, slug, metadata.description ?? '', metadata.accessLevel ?? 'members'],
      ) as Promise<Array<{ id: string }>>;

    if (metadata.slug) {
      await runner.query('SAVEPOINT media_slug');
      try {
        const [row] = await insert(metadata.slug);
        await runner.query('RELEASE SAVEPOINT media_slug');
        return row.id;
      } catch (error) {
        if (isUniqueViolation(error, 'media_files_slug_key')) throw new SlugTakenException(metadata.slug);
        throw error;
      }
    }
    const base = slugify(metadata.title);
    for (let attempt = 0; ; attempt += 1) {
      const taken = (await runner.query(`SELECT slug FROM media_files WHERE slug = $1 OR slug LIKE $2`, [
        base,
        `${base}-%`,
      ])) as Array<{ slug: string }>;
      const slug = firstFreeSlug(base, new Set(taken.map((row) => row.slug)));
      await runner.query('SAVEPOINT media_slug');
      try {
        const [row] = await insert(slug);
        await runner.query('RELEASE SAVEPOINT media_slug');
        return row.id;
      } catch (error) {
        if (!isUniqueViolation(error, 'media_files_slug_key') || attempt >= 5) throw error;
        await runner.query('ROLLBACK TO SAVEPOINT media_slug');
      }
    }
  }

  private async linkMediaFile(
    runner: QueryRunner,
    mediaFileId: string,
    tagIds: string[],
    collectionIds: string[],
  ): Promise<void> {
    if (tagIds.length) {
      await runner.query(
        `INSERT INTO media_file_tags (media_file_id, tag_id) SELECT $1, unnest($2::uuid[])`,
        [mediaFileId, tagIds],
      );
    }
    if (collectionIds.length) {
      await runner.query(
        `INSERT INTO media_file_collections (media_file_id, collection_id) SELECT $1, unnest($2::uuid[])`,
        [mediaFileId, collectionIds],
      );
    }
  }
}

function unique(ids: string[] | undefined): string[] {
  return [...new Set(ids ?? [])];
}
