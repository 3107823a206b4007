import type { AuthenticatedUser } from '../auth/authenticated-user.js';
import { userRefFor, type UserRef } from '../auth/user-ref.js';
import type { MediaFile } from './entities/media-file.entity.js';
import type { PendingFile } from './entities/pending-file.entity.js';
import type { MediaFileResponse, MediaUrlsResponse } from './dto/media-file.response.js';
import type { PendingFileResponse } from './dto/pending-file.response.js';
import type { MediaInfoResponse, RenditionsResponse } from './dto/renditions.response.js';
import type { ContentRenditions } from '../renditions/renditions.service.js';

/** A user's identity fields, as views are made from them (`userRefFor` decides what a viewer sees of them). */
export interface UserSource {
  id: string;
  name: string;
  email: string;
}

/** The view types are the OpenAPI document's response classes, so what the builders below make is documented. */
export type PendingFileView = PendingFileResponse;
export type MediaFileView = MediaFileResponse;
/** Signed, expiring URLs usable without an Authorization header (`docs/media-urls.md`). */
export type MediaUrls = MediaUrlsResponse;

const optional = <K extends string, V>(key: K, value: V | null | undefined) =>
  (value === null || value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

/** What a view shows of its content's renditions: `renditions`, and `placeholder` / `mediaInfo` when known. */
export interface RenditionFields {
  renditions: RenditionsResponse;
  placeholder?: string;
  mediaInfo?: MediaInfoResponse;
}

/**
 * The rendition fields of a view, from the queue's state of the content (undefined: never queued, shown as
 * `pending`, since the backfill (`generate-renditions`) or the next upload queues it). `gps` only when the viewer
 * may see where the picture was taken (its uploader, an admin); the failure's reason only for admins.
 */
export function renditionFields(
  state: ContentRenditions | undefined,
  show: { gps: boolean; failureReason: boolean },
): RenditionFields {
  if (!state) return { renditions: { status: 'pending' } };
  const size = (ref: ContentRenditions['thumbnail']) =>
    ref && { width: ref.width, height: ref.height, contentType: ref.contentType, size: ref.size };
  const { gps, ...shared } = state.mediaInfo ?? {};
  const mediaInfo = state.mediaInfo && (show.gps && gps ? { ...shared, gps } : shared);
  return {
    renditions: {
      status: state.status,
      ...optional('thumbnail', size(state.thumbnail)),
      ...optional('preview', size(state.preview)),
      ...optional('failureReason', show.failureReason ? state.failureReason : undefined),
    },
    ...optional('placeholder', state.placeholder),
    ...optional('mediaInfo', mediaInfo),
  };
}

export function toPendingFileView(
  file: PendingFile & { uploaders: UserSource[] },
  viewer: AuthenticatedUser,
  urls: MediaUrls,
  renditions: RenditionFields,
): PendingFileView {
  return {
    id: file.id,
    originalFilename: file.originalFilename,
    fileSize: file.fileSize,
    contentType: file.contentType,
    fileType: file.fileType,
    hash: file.hash,
    ...optional('width', file.width),
    ...optional('height', file.height),
    folderPath: file.folderPath,
    status: file.status,
    ...optional('reason', file.reason),
    ...optional('mediaFileId', file.mediaFileId),
    ...optional('replacesMediaFileId', file.replacesMediaFileId),
    expiresAt: file.expiresAt.toISOString(),
    uploadedBy: userRefFor(file.uploadedBy, viewer),
    uploaders: file.uploaders.map((uploader) => userRefFor(uploader, viewer)),
    createdAt: file.createdAt.toISOString(),
    updatedAt: file.updatedAt.toISOString(),
    urls,
    ...renditions,
  };
}

/**
 * What a media file view is made of: a row of the one view query (`MediaFileViewsRepository`, whose `toView` is the
 * only caller of `toMediaFileView`), with the entity's fields.
 */
export type MediaFileSource = Omit<MediaFile, 'tags' | 'collections' | 'createdBy' | 'deletedById'> & {
  tags?: Array<{ id: string; name: string; slug: string }>;
  collections?: Array<{ id: string; title: string; slug: string }>;
  createdBy: UserRef;
};

export function toMediaFileView(file: MediaFileSource, urls: MediaUrls, renditions: RenditionFields): MediaFileView {
  return {
    id: file.id,
    title: file.title,
    slug: file.slug,
    description: file.description,
    originalFilename: file.originalFilename,
    fileSize: file.fileSize,
    contentType: file.contentType,
    fileType: file.fileType,
    hash: file.hash,
    ...optional('width', file.width),
    ...optional('height', file.height),
    accessLevel: file.accessLevel,
    tags: (file.tags ?? [])
      .map((tag) => ({ id: tag.id, name: tag.name, slug: tag.slug }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    collections: (file.collections ?? [])
      .map((collection) => ({ id: collection.id, title: collection.title, slug: collection.slug }))
      .sort((a, b) => a.title.localeCompare(b.title)),
    metadata: file.metadata ?? {},
    version: file.version,
    downloadCount: file.downloadCount,
    ...optional('lastAccessedAt', file.lastAccessedAt?.toISOString()),
    createdBy: { ...file.createdBy },
    createdAt: file.createdAt.toISOString(),
    updatedAt: file.updatedAt.toISOString(),
    ...optional('deletedAt', file.deletedAt?.toISOString()),
    urls,
    ...renditions,
  };
}
