import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { isAdmin, type AuthenticatedUser } from '../../auth/authenticated-user.js';
import { storageConfig } from '../../config/storage.config.js';
import { ObjectStorage, type ByteRange } from '../../storage/object-storage.js';
import { ObjectNotFoundException } from '../../storage/storage.errors.js';
import { RenditionsService } from '../../renditions/renditions.service.js';
import type { RenditionKind } from '../../renditions/renditions.constants.js';
import {
  MediaFileNotFoundException,
  PendingFileNotFoundException,
  RenditionNotReadyException,
} from '../file-manager.errors.js';
import { MediaFilesRepository, type MediaContentRow } from '../repositories/media-files.repository.js';
import { PendingFilesRepository } from '../repositories/pending-files.repository.js';
import { StoredObjectsRepository } from '../repositories/stored-objects.repository.js';
import { etagMatches, parseRange } from '../utils/http-range.util.js';

/** The stored bytes of a readable, active media file. */
export interface MediaContent {
  id: string;
  objectKey: string;
  size: number;
  contentType: string;
  originalFilename: string;
  /** Strong validator: the content hash, quoted (RFC 9110). Same bytes, same ETag, on every instance. */
  etag: string;
}

export type ContentAnswer =
  | { kind: 'not-modified'; content: MediaContent }
  | { kind: 'unsatisfiable'; content: MediaContent }
  | { kind: 'bytes'; content: MediaContent; range?: ByteRange; body?: Readable };

export interface ContentConditions {
  range?: string;
  ifRange?: string;
  ifNoneMatch?: string;
  /** False for HEAD: the headers only, nothing read from storage, nothing counted. */
  withBody: boolean;
}

/**
 * A file's bytes: signed download URLs, and reads under HTTP's conditional and range rules (`/content` and the
 * signed media URLs of `media-urls.md`).
 */
@Injectable()
export class MediaContentService {
  constructor(
    private readonly mediaFiles: MediaFilesRepository,
    private readonly pendingFiles: PendingFilesRepository,
    private readonly storage: ObjectStorage,
    private readonly renditions: RenditionsService,
    private readonly storedObjects: StoredObjectsRepository,
    @Inject(storageConfig.KEY) private readonly config: ConfigType<typeof storageConfig>,
  ) {}

  /**
   * A short-lived signed URL for the file's bytes, answered by the object store itself with the original filename
   * and the file's content type. The download is counted when the URL is handed out.
   */
  async downloadUrl(id: string, inline: boolean, user?: AuthenticatedUser): Promise<string> {
    const content = await this.find(id, user);
    const url = await this.storage.presignedGetUrl(content.objectKey, {
      expirySeconds: this.config.presignExpirySeconds,
      filename: content.originalFilename,
      contentType: content.contentType,
      inline,
    });
    await this.mediaFiles.countDownload(id);
    return url;
  }

  /**
   * The file's bytes under HTTP's conditional and range rules: `If-None-Match` with the current ETag answers
   * not-modified; a satisfiable single `Range` (honoured only when `If-Range` is absent or matches) answers part of
   * the bytes; an unsatisfiable one answers unsatisfiable; otherwise all of it.
   * A read of the whole content (no range, or a range covering every byte) counts as a download.
   */
  async content(
    id: string,
    conditions: ContentConditions,
    user?: AuthenticatedUser,
    expectedHash?: string,
  ): Promise<ContentAnswer> {
    const content = await this.find(id, user, expectedHash);
    return this.answer(content, conditions, () => this.mediaFiles.countDownload(id));
  }

  /**
   * A pending file's bytes under the same rules, for its uploaders or an admin, while it is pending with the content
   * `hash` (a signed media URL names it). Nothing is counted: downloads count for media files only.
   */
  async pendingContent(
    id: string,
    hash: string,
    conditions: ContentConditions,
    user: AuthenticatedUser,
  ): Promise<ContentAnswer> {
    const row = await this.pendingFiles.findPendingContent(id, hash);
    if (!row || (!isAdmin(user) && !row.uploaderIds.includes(user.id))) throw new PendingFileNotFoundException();
    return this.answer(toContent(row), conditions, () => Promise.resolve());
  }

  /**
   * A media file's thumbnail or preview, under the same read rules as its content (`content`), never counted as a
   * download. Not rendered (yet): `RENDITION_NOT_READY`.
   */
  async rendition(
    id: string,
    kind: RenditionKind,
    conditions: ContentConditions,
    user?: AuthenticatedUser,
    expectedHash?: string,
  ): Promise<ContentAnswer> {
    const row = await this.mediaFiles.findReadableContent(id, user);
    if (!row || (expectedHash !== undefined && row.hash !== expectedHash)) throw new MediaFileNotFoundException();
    return this.answer(await this.renditionOf(row, kind), conditions, () => Promise.resolve());
  }

  /**
   * A pending file's thumbnail or preview, for its uploaders or an admin. With `hash` (a signed media URL), only
   * while the file is pending with that content, as `pendingContent`; without it (`/api/pending/:id/…`), in any
   * status, as `/api/pending/:id/content`, while its content is stored.
   */
  async pendingRendition(
    id: string,
    kind: RenditionKind,
    conditions: ContentConditions,
    user: AuthenticatedUser,
    hash?: string,
  ): Promise<ContentAnswer> {
    const record = hash
      ? await this.pendingFiles.findPendingContent(id, hash)
      : await this.pendingFiles
          .findWithUploader(id)
          .then((file) => file && { ...file, uploaderIds: file.uploaders.map((uploader) => uploader.id) });
    if (!record || (!isAdmin(user) && !record.uploaderIds.includes(user.id))) throw new PendingFileNotFoundException();
    return this.answer(await this.renditionOf(record, kind), conditions, () => Promise.resolve());
  }

  /** The rendition of a record's content as content to serve; none (yet): `RENDITION_NOT_READY` with the status. */
  private async renditionOf(
    record: { id: string; hash: string; originalFilename: string },
    kind: RenditionKind,
  ): Promise<MediaContent> {
    const rendition = (await this.renditions.renditionsFor(record.hash))[kind];
    if (!rendition) {
      const state = (await this.renditions.statusFor([record.hash])).get(record.hash);
      // No job: never queued (pending, as the views say), or the content itself is gone (a rejected or expired
      // pending file's), which answers as `/content` does.
      if (!state && !(await this.storedObjects.objectKeyOf(record.hash))) throw new ObjectNotFoundException();
      throw new RenditionNotReadyException(kind, state?.status ?? 'pending');
    }
    return {
      id: record.id,
      objectKey: rendition.objectKey,
      size: rendition.size,
      contentType: rendition.contentType,
      originalFilename: `${record.originalFilename.replace(/\.[^.]*$/, '')}.${kind}.webp`,
      // Each rendering has its own object key: a re-render (new generator version) is a new validator, and the
      // key itself stays private.
      etag: `"${kind}-${createHash('sha256').update(rendition.objectKey).digest('base64url').slice(0, 22)}"`,
    };
  }

  private async answer(
    content: MediaContent,
    conditions: ContentConditions,
    countDownload: () => Promise<void>,
  ): Promise<ContentAnswer> {
    if (conditions.ifNoneMatch && etagMatches(conditions.ifNoneMatch, content.etag))
      return { kind: 'not-modified', content };
    const rangeApplies =
      conditions.range !== undefined && (!conditions.ifRange || conditions.ifRange.trim() === content.etag);
    const range = rangeApplies ? parseRange(conditions.range!, content.size) : undefined;
    if (range === 'unsatisfiable') return { kind: 'unsatisfiable', content };
    if (!conditions.withBody) return { kind: 'bytes', content, range };
    const body = await this.storage.getStream(content.objectKey, range);
    if (!range || (range.start === 0 && range.end === content.size - 1)) await countDownload();
    return { kind: 'bytes', content, range, body };
  }

  /** The content of a file the caller may read (and, when given, still holding `expectedHash`). */
  private async find(id: string, user?: AuthenticatedUser, expectedHash?: string): Promise<MediaContent> {
    const row = await this.mediaFiles.findReadableContent(id, user);
    if (!row || (expectedHash !== undefined && row.hash !== expectedHash)) throw new MediaFileNotFoundException();
    return toContent(row);
  }
}

function toContent(row: MediaContentRow): MediaContent {
  if (!row.objectKey) throw new ObjectNotFoundException();
  return {
    id: row.id,
    objectKey: row.objectKey,
    size: row.size,
    contentType: row.contentType,
    originalFilename: row.originalFilename,
    etag: `"${row.hash}"`,
  };
}
