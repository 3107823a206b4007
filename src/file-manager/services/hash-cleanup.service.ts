import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { DataSource, type QueryRunner } from 'typeorm';
import { uploadConfig } from '../../config/configuration.js';
import { inTransaction } from '../../database/transactions.js';
import { RenditionsService } from '../../renditions/renditions.service.js';
import { ObjectStorage } from '../../storage/object-storage.js';
import type { AccessLevel, PendingStatus } from '../entities/columns.js';
import {
  ContentMissingException,
  ContentPendingException,
  ContentReplacedConcurrentlyException,
  DuplicateContentException,
  MediaFileNotFoundException,
  NotPendingException,
  PendingFileNotFoundException,
  ReplacementTargetGoneException,
  UnknownCollectionsException,
  UnknownTagsException,
  UploadInterruptedException,
} from '../file-manager.errors.js';
import { assertMetadataFits, withAnnotation, type Metadata } from '../metadata.js';
import { CollectionsRepository } from '../repositories/collections.repository.js';
import { MediaFilesRepository } from '../repositories/media-files.repository.js';
import { PendingFilesRepository, type PendingUpload } from '../repositories/pending-files.repository.js';
import { StoredObjectsRepository, type ContentRow } from '../repositories/stored-objects.repository.js';
import { TagsRepository } from '../repositories/tags.repository.js';
import { UploadClaimsRepository } from '../repositories/upload-claims.repository.js';
import { slugify } from '../utils/slug.util.js';
import { StorageDeletionQueue } from './storage-deletion-queue.service.js';

/** An upload whose bytes are stored at `objectKey`, with the facts its pending file records. */
export interface StoredUpload extends Omit<PendingUpload, 'expiresAt'> {
  objectKey: string;
}

/** Stored bytes and their facts, before any record of them (a replacement records no uploader or folder). */
export type StoredContent = Omit<StoredUpload, 'folderPath' | 'uploadedById'>;

export type UploadOutcome = (
  { status: 'pending' | 'pending_updated'; pendingFileId: string } | { status: 'exists'; mediaFileId: string }
) & {
  /** The content was already stored: this upload's copy is dropped and the stored one reused (a dedup hit). */
  reusedStoredContent: boolean;
};

/** Reads a step's answer in its transaction, after its changes: the state it commits, not what follows it. */
export type InTransactionAnswer = (runner: QueryRunner, mediaFileId: string) => Promise<void>;

export interface MediaFileMetadata {
  title: string;
  slug?: string;
  description?: string;
  tagIds?: string[];
  collectionIds?: string[];
  accessLevel?: AccessLevel;
  metadata?: Metadata;
  /** The seed's annotation: kept as `metadata.annotation`. */
  annotation?: string;
}

/**
 * The one place that decides what happens to stored content, as its life goes: an upload is recorded, approved,
 * rejected or expired; its media file is purged or restored; leftovers are collected. Each step is one explicit
 * transaction that takes the *content lock* of the hash — a transaction advisory lock on the hash, then its
 * `stored_objects` row `FOR UPDATE` (for uploads, created with `INSERT … ON CONFLICT DO UPDATE`, which locks too) —
 * before any record of that content (pending file, media file). Taking locks in that order everywhere rules out
 * deadlocks between these steps, and holding the content lock while checking references makes "is this content
 * still needed?" a decision no concurrent request — in this instance or another — can invalidate before commit.
 * (`recordUpload`, `replace` and `proposeReplacement` first take their upload's claim row, which no other step of
 * any content locks: see `recordUpload`.) A step about several contents (a replacement, its approval) takes their
 * content locks in hash order (`lockContents`), so two such steps can't wait on each other in a cycle.
 *
 * Content is needed while any media file (active or trashed) or any pending file in status `pending` has its
 * hash. When a step leaves it unneeded, the `stored_objects` row is deleted and the object's delete is written
 * to the outbox in the same transaction; the object key is unique to that stored incarnation, so a later upload
 * of the same bytes gets a new key that the pending delete cannot touch.
 */
@Injectable()
export class HashCleanupService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly storage: ObjectStorage,
    private readonly deletions: StorageDeletionQueue,
    private readonly contents: StoredObjectsRepository,
    private readonly claims: UploadClaimsRepository,
    private readonly pendingFiles: PendingFilesRepository,
    private readonly mediaFiles: MediaFilesRepository,
    private readonly tags: TagsRepository,
    private readonly collections: CollectionsRepository,
    private readonly renditions: RenditionsService,
    @Inject(uploadConfig.KEY) private readonly config: ConfigType<typeof uploadConfig>,
  ) {}

  /**
   * Records an upload whose bytes are already stored at `upload.objectKey`: claims that object as the content's
   * copy (or finds the copy already stored and queues ours for deletion), then creates or reuses the pending file
   * and makes the uploader one of its uploaders — under the same locks, so concurrent uploads each add themselves.
   */
  async recordUpload(upload: StoredUpload): Promise<UploadOutcome> {
    let reusedStoredContent = false;
    let queuedDeletes = false;
    const outcome = await inTransaction(this.dataSource, async (runner) => {
      // Take our object back from garbage collection before the content lock: a lapsed claim means GC may already
      // have deleted the object, and nothing is locked yet when we give up. The claim row is this upload's alone;
      // the only other transaction locking it (GC's orphan sweep) takes no content lock, so no cycle can form.
      if (!(await this.claims.take(runner, upload.objectKey))) throw new UploadInterruptedException();

      // The hash lock, then the upsert, which locks the content row itself (no separate SELECT … FOR UPDATE).
      await this.contents.lockHash(runner, upload.hash);
      const content = await this.claimContent(runner, upload);
      reusedStoredContent = content.objectKey !== upload.objectKey;
      queuedDeletes = reusedStoredContent || content.repointed === true;

      const { activeMediaFileId, pending: existing } = await this.pendingFiles.lockRecordsOfContent(
        runner,
        upload.hash,
      );
      if (activeMediaFileId) return { status: 'exists', mediaFileId: activeMediaFileId } as const;

      const pending = { ...upload, expiresAt: new Date(Date.now() + this.config.pendingTtlHours * 3_600_000) };
      if (existing) {
        // Same content again (pending, rejected, expired, or approved-then-trashed): reuse the record. While it is
        // pending, every member who uploads it joins its uploaders and keeps seeing it (the first stays
        // `uploadedBy`); a decided or expired record starts a new round with this upload's uploader first.
        await this.pendingFiles.renew(runner, existing.id, pending, { newRound: existing.status !== 'pending' });
        await this.pendingFiles.addUploader(runner, existing.id, upload.uploadedById);
        return { status: 'pending_updated', pendingFileId: existing.id } as const;
      }
      const pendingFileId = await this.pendingFiles.insert(runner, pending);
      return { status: 'pending', pendingFileId } as const;
    });
    this.renditions.wake(); // in memory only: lets this instance's idle render lanes look now
    // Most uploads queue no delete: sparing them the drain's query is a round trip less per upload.
    if (queuedDeletes) this.deletions.drainSoon();
    return { ...outcome, reusedStoredContent };
  }

  /**
   * Approves a pending file: one transaction that hard-deletes a trashed media file of the same content (its
   * tags, collections and usages go with it), creates the new media file with fresh metadata, and marks the
   * pending file approved. The stored object is kept: it is the same content. Any failure rolls everything back.
   * A replacement (`replacesMediaFileId`) is applied to its media file instead (`approveReplacement`); the metadata
   * is not used then: the file keeps its own. Answers the media file's id; `answer` runs last in the transaction
   * (an answer read after commit could already see a later change: a move to the trash queued on the row).
   */
  async approve(
    pendingFileId: string,
    metadata: MediaFileMetadata,
    reviewerId: string,
    answer?: InTransactionAnswer,
  ): Promise<string> {
    const fields = assertMetadataFits(withAnnotation(metadata.metadata ?? {}, metadata.annotation));
    // Which kind of approval (and which locks) is read before the locks and checked under them: a record becomes a
    // replacement (or stops being one) only when a new round starts on it, so a mismatch is rare; it retries.
    return whileStale(async () => {
      const kind = await this.pendingFiles.kindOf(pendingFileId);
      if (!kind) throw new PendingFileNotFoundException();
      return kind.replacesMediaFileId
        ? this.approveReplacement(pendingFileId, kind.hash, kind.replacesMediaFileId, reviewerId, answer)
        : this.approveNew(pendingFileId, metadata, fields, reviewerId, answer);
    });
  }

  /** `approve` of an ordinary upload: a new media file. */
  private approveNew(
    pendingFileId: string,
    metadata: MediaFileMetadata,
    fields: Metadata,
    reviewerId: string,
    answer: InTransactionAnswer | undefined,
  ): Promise<string> {
    return inTransaction(this.dataSource, async (runner) => {
      const { hash, content, pending } = await this.lockPending(runner, pendingFileId, 'pending');
      if (pending.replacesMediaFileId !== null) throw new StaleRead();
      if (!content) throw new ContentMissingException();

      // Tags and collections (FOR SHARE) before the media row, the order of a PATCH and of a tag or collection
      // deletion (which locks the files carrying it); a duplicate still answers before an unknown tag.
      const tagIds = unique(metadata.tagIds);
      const collectionIds = unique(metadata.collectionIds);
      const missingTags = await this.tags.lockShared(runner, tagIds);
      const missingCollections = await this.collections.lockShared(runner, collectionIds);
      const existing = await this.mediaFiles.lockWithHash(runner, hash);
      if (existing && existing.deletedAt === null) throw new DuplicateContentException(existing.id);
      if (missingTags.length) throw new UnknownTagsException(missingTags);
      if (missingCollections.length) throw new UnknownCollectionsException(missingCollections);
      // Never create a media file whose bytes are gone; storage being down aborts (and rolls back) the approval.
      if (!(await this.storage.stat(content.objectKey))) throw new ContentMissingException();

      if (existing) await this.mediaFiles.delete(runner, existing.id);
      const mediaFileId = await this.mediaFiles.insertFromPending(runner, pendingFileId, {
        title: metadata.title,
        slug: metadata.slug,
        slugBase: slugify(metadata.title),
        description: metadata.description ?? '',
        accessLevel: metadata.accessLevel ?? 'members',
        metadata: fields,
      });
      await this.mediaFiles.link(runner, mediaFileId, tagIds, collectionIds);
      await this.pendingFiles.markApproved(runner, pendingFileId, mediaFileId, reviewerId);
      await answer?.(runner, mediaFileId);
      return mediaFileId;
    });
  }

  /**
   * Points an active media file at the uploaded content, keeping everything else of it (id, slug, tags, collections,
   * usages, metadata); `version` counts up and the old content is freed unless another record needs it. Takes the
   * upload's claim (as `recordUpload`), then the content locks of the old and the new hash **in hash order** (the
   * one step holding two: two replacements crossing each other's contents lock them in the same order), then the
   * media row. `authorize` runs under the locks. Identical content: nothing changes (`unchanged`). Content an active
   * file holds: DUPLICATE_CONTENT; a trashed file holding it is dropped, as an approval of that content would.
   * A replacement that finds the file's content changed since it looked (a concurrent replacement won) is CONFLICT.
   * `answer` runs last in the transaction.
   */
  async replace(
    mediaFileId: string,
    upload: StoredContent,
    authorize: (file: { accessLevel: AccessLevel; createdById: string } | undefined) => void,
    answer?: InTransactionAnswer,
  ): Promise<'replaced' | 'unchanged'> {
    const outcome = await inTransaction(this.dataSource, async (runner) => {
      if (!(await this.claims.take(runner, upload.objectKey))) throw new UploadInterruptedException();
      const oldHash = await this.mediaFiles.hashOf(runner, mediaFileId);
      if (oldHash === undefined) throw new MediaFileNotFoundException();
      await this.lockContents(runner, [oldHash, upload.hash], upload);
      const file = await this.mediaFiles.lockActiveContent(runner, mediaFileId);
      authorize(file);
      if (!file) throw new MediaFileNotFoundException();
      if (file.hash !== oldHash) throw new ContentReplacedConcurrentlyException();
      if (upload.hash === oldHash) {
        await answer?.(runner, mediaFileId);
        return 'unchanged' as const;
      }

      const holder = await this.mediaFiles.lockWithHash(runner, upload.hash);
      if (holder && holder.deletedAt === null) throw new DuplicateContentException(holder.id);
      if (holder) await this.mediaFiles.delete(runner, holder.id);
      await this.mediaFiles.replaceContent(runner, mediaFileId, upload);
      await this.releaseIfUnneeded(runner, oldHash);
      await answer?.(runner, mediaFileId);
      return 'replaced' as const;
    });
    if (outcome === 'replaced') this.renditions.wake();
    this.deletions.drainSoon();
    return outcome;
  }

  /**
   * A member's replacement of their file's content (`PUT /api/files/:id/content`): recorded as a pending file that
   * names the file it replaces, for an admin to approve. The upload's claim, then the content locks **in hash
   * order** of the file's content, the new content and the contents of the file's replacements already waiting
   * (a newer replacement supersedes them: rejected, their content freed unless needed), then the media row, then
   * the pending rows. `authorize` runs under the locks. Identical content: nothing changes (`unchanged`). Content an
   * active file holds: DUPLICATE_CONTENT (a trashed holder stays until the approval drops it). Content waiting as
   * another upload or another file's replacement: CONTENT_PENDING; the same replacement sent again is renewed.
   */
  async proposeReplacement(
    mediaFileId: string,
    upload: StoredContent,
    uploaderId: string,
    authorize: (file: { accessLevel: AccessLevel; createdById: string } | undefined) => void,
  ): Promise<{ status: 'unchanged' } | { status: 'pending'; pendingFileId: string }> {
    const outcome = await whileStale(() =>
      inTransaction(this.dataSource, (runner) => this.proposeOnce(runner, mediaFileId, upload, uploaderId, authorize)),
    );
    if (outcome.status === 'pending') this.renditions.wake(); // queued by claimContent: the moderators see it
    this.deletions.drainSoon();
    return outcome;
  }

  private async proposeOnce(
    runner: QueryRunner,
    mediaFileId: string,
    upload: StoredContent,
    uploaderId: string,
    authorize: (file: { accessLevel: AccessLevel; createdById: string } | undefined) => void,
  ): Promise<{ status: 'unchanged' } | { status: 'pending'; pendingFileId: string }> {
    if (!(await this.claims.take(runner, upload.objectKey))) throw new UploadInterruptedException();
    // Read before the locks, checked under them: a change in between (the file's content replaced, another
    // replacement proposed) runs the whole step again.
    const oldHash = await this.mediaFiles.hashOf(runner, mediaFileId);
    if (oldHash === undefined) throw new MediaFileNotFoundException();
    const waiting = await this.pendingFiles.pendingReplacementsOf(runner, mediaFileId, { lock: false });
    const locked = new Set([oldHash, upload.hash, ...waiting.map((pending) => pending.hash)]);
    await this.lockContents(runner, [...locked], upload);

    const file = await this.mediaFiles.lockActiveContent(runner, mediaFileId);
    authorize(file);
    if (!file) throw new MediaFileNotFoundException();
    if (file.hash !== oldHash) throw new StaleRead();
    if (upload.hash === oldHash) return { status: 'unchanged' };
    const superseded = await this.pendingFiles.pendingReplacementsOf(runner, mediaFileId, { lock: true });
    if (superseded.some((pending) => !locked.has(pending.hash))) throw new StaleRead();
    const { activeMediaFileId, pending: existing } = await this.pendingFiles.lockRecordsOfContent(runner, upload.hash);
    if (activeMediaFileId) throw new DuplicateContentException(activeMediaFileId);

    const pending = {
      ...upload,
      folderPath: '',
      uploadedById: uploaderId,
      replacesMediaFileId: mediaFileId,
      expiresAt: new Date(Date.now() + this.config.pendingTtlHours * 3_600_000),
    };
    let pendingFileId: string;
    if (existing?.status === 'pending' && existing.replacesMediaFileId !== mediaFileId) {
      throw new ContentPendingException();
    } else if (existing) {
      // This replacement sent again (still pending), or a decided record of this content starting a new round.
      await this.pendingFiles.renew(runner, existing.id, pending, { newRound: existing.status !== 'pending' });
      await this.pendingFiles.addUploader(runner, existing.id, uploaderId);
      pendingFileId = existing.id;
    } else {
      pendingFileId = await this.pendingFiles.insert(runner, pending);
    }
    for (const older of superseded.filter((row) => row.id !== pendingFileId)) {
      await this.pendingFiles.markRejected(runner, older.id, SUPERSEDED_REASON, null);
      await this.releaseIfUnneeded(runner, older.hash);
    }
    return { status: 'pending', pendingFileId };
  }

  /**
   * Applies an approved replacement to its media file, keeping everything else of it; `version` counts up and the
   * file's old content is freed unless another record needs it. The content locks of the replacement's and the
   * file's content in hash order, then the pending row, then the file and the holder of the new content (a trashed
   * one is dropped, as for any approval) in id order. The file trashed or purged meanwhile: REPLACEMENT_TARGET_GONE,
   * the pending file stays (restore the file, or reject it). StaleRead when what was read before the locks changed.
   */
  private approveReplacement(
    pendingFileId: string,
    hash: string,
    mediaFileId: string,
    reviewerId: string,
    answer: InTransactionAnswer | undefined,
  ): Promise<string> {
    return inTransaction(this.dataSource, async (runner) => {
      const oldHash = await this.mediaFiles.hashOf(runner, mediaFileId);
      const contents = await this.lockContents(runner, oldHash === undefined ? [hash] : [hash, oldHash]);
      const pending = await this.pendingFiles.lockForDecision(runner, pendingFileId);
      if (!pending) throw new PendingFileNotFoundException();
      if (pending.status !== 'pending') throw new NotPendingException(pending.status);
      if (pending.replacesMediaFileId !== mediaFileId) throw new StaleRead();

      const holderId = hash === oldHash ? undefined : await this.mediaFiles.idWithHash(runner, hash);
      const files = await this.mediaFiles.lockForReplacement(
        runner,
        holderId ? [mediaFileId, holderId] : [mediaFileId],
      );
      const file = files.find((row) => row.id === mediaFileId);
      if (!file) throw new ReplacementTargetGoneException(mediaFileId, 'purged');
      if (file.deletedAt !== null) throw new ReplacementTargetGoneException(mediaFileId, 'trashed');
      if (file.hash !== oldHash) throw new StaleRead();
      if (hash !== oldHash) {
        const holder = files.find((row) => row.id === holderId);
        if (holder && holder.deletedAt === null) throw new DuplicateContentException(holder.id);
        const content = contents.get(hash);
        // Never point a file at bytes that are gone; storage being down aborts (and rolls back) the approval.
        if (!content || !(await this.storage.stat(content.objectKey))) throw new ContentMissingException();
        if (holder) await this.mediaFiles.delete(runner, holder.id);
        await this.mediaFiles.replaceContentFromPending(runner, mediaFileId, pendingFileId);
      }
      await this.pendingFiles.markApproved(runner, pendingFileId, mediaFileId, reviewerId);
      if (hash !== oldHash) await this.releaseIfUnneeded(runner, oldHash);
      await answer?.(runner, mediaFileId);
      return mediaFileId;
    });
  }

  /** Rejects a pending file (the record stays) and frees its content unless another record still needs it. */
  async reject(pendingFileId: string, reason: string | undefined, reviewerId: string): Promise<void> {
    await inTransaction(this.dataSource, async (runner) => {
      const { hash } = await this.lockPending(runner, pendingFileId, 'pending');
      await this.pendingFiles.markRejected(runner, pendingFileId, reason ?? null, reviewerId);
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
      const { hash, pending } = await this.lockPending(runner, pendingFileId);
      if (pending.status !== 'pending' || pending.expiresAt.getTime() > Date.now()) return false;
      await this.pendingFiles.markExpired(runner, pendingFileId);
      await this.releaseIfUnneeded(runner, hash);
      return true;
    });
    if (expired) this.deletions.drainSoon();
    return expired;
  }

  /** Purges a trashed media file for good; its content is freed unless another record still needs it. */
  async purge(mediaFileId: string): Promise<void> {
    await inTransaction(this.dataSource, async (runner) => {
      const { hash } = await this.lockTrashed(runner, mediaFileId);
      await this.mediaFiles.delete(runner, mediaFileId);
      await this.releaseIfUnneeded(runner, hash);
    });
    this.deletions.drainSoon();
  }

  /**
   * Restores a trashed media file. Takes the content lock like every other change of a media file's life, so a
   * restore and an approval that replaces the trashed file are ordered: exactly one of them wins. `authorize` runs
   * under the locks, with the locked row, and throws when the caller may not restore it.
   */
  async restore(
    mediaFileId: string,
    authorize: (file: { createdById: string }) => void,
    answer?: InTransactionAnswer,
  ): Promise<void> {
    await inTransaction(this.dataSource, async (runner) => {
      const { file } = await this.lockTrashed(runner, mediaFileId);
      authorize(file);
      await this.mediaFiles.restore(runner, mediaFileId);
      await answer?.(runner, mediaFileId);
    });
  }

  /**
   * Frees every stored content that no record needs any more (normally none: each step frees its own content in
   * its transaction; this re-checks, under the content lock, after crashes or manual database edits).
   */
  async collect(): Promise<number> {
    let released = 0;
    for (const hash of await this.contents.unreferencedHashes()) {
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
    if (await this.contents.isReferenced(runner, hash)) return false;
    const freedKeys = await this.contents.delete(runner, hash);
    await this.deletions.enqueue(runner, freedKeys, 'content-released');
    return freedKeys.length > 0;
  }

  /**
   * The content lock for an upload: inserts the content row pointing at the uploaded object, or (when the content
   * is already stored) locks the existing row and queues the upload's own copy for deletion (`duplicate-upload`),
   * and queues the content's renditions (idempotent: stored content already has its job, so a duplicate costs one
   * INSERT that does nothing). A row whose object has vanished from storage is repointed at the fresh upload
   * (self-healing). The answer's `objectKey` differs from the upload's when its copy was a duplicate.
   */
  private async claimContent(runner: QueryRunner, upload: StoredContent): Promise<ContentRow & { repointed?: true }> {
    const row = await this.contents.upsert(runner, upload);
    await this.renditions.enqueue(upload.hash, runner);
    if (row.objectKey === upload.objectKey) return row;
    if (await this.storage.stat(row.objectKey)) {
      await this.deletions.enqueue(runner, [upload.objectKey], 'duplicate-upload');
      return row;
    }
    await this.contents.repoint(runner, upload.hash, upload.objectKey);
    await this.deletions.enqueue(runner, [row.objectKey], 'content-released');
    return { hash: upload.hash, objectKey: upload.objectKey, repointed: true };
  }

  /**
   * Takes the content lock of `hash` and answers its content row, if the content is stored. Must be the first lock
   * of the transaction (see the class comment). The lock is a transaction-scoped advisory lock on the hash, so it
   * exists whether or not the content is stored right now: a freed content that a concurrent upload is storing again
   * is locked all the same (a row lock alone would lock nothing there and let the two take their other locks in
   * opposite orders). The row is then locked too.
   */
  private async lockContent(runner: QueryRunner, hash: string): Promise<ContentRow | undefined> {
    await this.contents.lockHash(runner, hash);
    return this.contents.lockRow(runner, hash);
  }

  /**
   * The content locks of several contents, in hash order (the only order two steps holding more than one take them
   * in, so they can't deadlock), answering the rows of those stored. With `upload`, its content is claimed as
   * `recordUpload` claims it (`claimContent`).
   */
  private async lockContents(
    runner: QueryRunner,
    hashes: string[],
    upload?: StoredContent,
  ): Promise<Map<string, ContentRow>> {
    const rows = new Map<string, ContentRow>();
    for (const hash of [...new Set(hashes)].sort()) {
      await this.contents.lockHash(runner, hash);
      if (hash === upload?.hash) {
        rows.set(hash, await this.claimContent(runner, upload));
      } else {
        const content = await this.contents.lockRow(runner, hash);
        if (content) rows.set(hash, content);
      }
    }
    return rows;
  }

  /**
   * The preamble of a decision about a pending file: its content lock, then the pending file itself; with
   * `required`, refuses one in another status.
   */
  private async lockPending(
    runner: QueryRunner,
    id: string,
    required?: 'pending',
  ): Promise<{
    hash: string;
    content: ContentRow | undefined;
    pending: { status: PendingStatus; expiresAt: Date; replacesMediaFileId: string | null };
  }> {
    const hash = await this.pendingFiles.hashOf(runner, id);
    if (hash === undefined) throw new PendingFileNotFoundException();
    const content = await this.lockContent(runner, hash);
    const pending = await this.pendingFiles.lockForDecision(runner, id);
    if (!pending) throw new PendingFileNotFoundException();
    if (required && pending.status !== required) throw new NotPendingException(pending.status);
    return { hash, content, pending };
  }

  /** The preamble of a purge or a restore: the content lock, then the media file, which must be in the trash. */
  private async lockTrashed(runner: QueryRunner, id: string): Promise<{ hash: string; file: { createdById: string } }> {
    const hash = await this.mediaFiles.hashOf(runner, id);
    if (hash === undefined) throw new MediaFileNotFoundException();
    await this.lockContent(runner, hash);
    const file = await this.mediaFiles.lockForLifecycle(runner, id);
    if (!file || file.deletedAt === null) throw new MediaFileNotFoundException();
    return { hash, file };
  }
}

/**
 * Thrown inside a step's transaction when what it read before its locks changed before it got them: the transaction
 * rolls back (the upload's claim with it) and `whileStale` runs the step again.
 */
class StaleRead extends Error {}

/** How often a step runs again before it gives up with CONFLICT (each rerun means a concurrent change won). */
const STALE_ATTEMPTS = 3;

async function whileStale<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await step();
    } catch (error) {
      if (!(error instanceof StaleRead)) throw error;
      if (attempt >= STALE_ATTEMPTS) throw new ContentReplacedConcurrentlyException();
    }
  }
}

/** Why a waiting replacement was rejected without a reviewer: its uploader proposed a newer one of the same file. */
const SUPERSEDED_REASON = 'Superseded by a newer replacement of the same file';

function unique(ids: string[] | undefined): string[] {
  return [...new Set(ids ?? [])];
}
