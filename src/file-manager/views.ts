import type { AuthenticatedUser } from '../auth/authenticated-user.js';
import { userRefFor, type UserRef } from '../auth/user-ref.js';
import type { MediaFile } from './entities/media-file.entity.js';
import type { PendingFile } from './entities/pending-file.entity.js';
import type { AccessLevel, FileType, PendingStatus } from './entities/columns.js';

/** A user's identity fields, as views are made from them (`userRefFor` decides what a viewer sees of them). */
export interface UserSource {
  id: string;
  name: string;
  email: string;
}

/** Signed, expiring URLs usable without an Authorization header (`docs/media-urls.md`). */
export interface MediaUrls {
  content: string;
}

export interface PendingFileView {
  id: string;
  originalFilename: string;
  fileSize: number;
  contentType: string;
  fileType: FileType;
  hash: string;
  width?: number;
  height?: number;
  folderPath: string;
  status: PendingStatus;
  reason?: string;
  mediaFileId?: string;
  expiresAt: string;
  /** The first uploader of the record's current round; `email` as for `createdBy` (see `userRefFor`). */
  uploadedBy: UserRef;
  /** Every member who uploaded this content while it was pending, in the order they first did. */
  uploaders: UserRef[];
  createdAt: string;
  updatedAt: string;
  urls: MediaUrls;
}

export interface MediaFileView {
  id: string;
  title: string;
  slug: string;
  description: string;
  originalFilename: string;
  fileSize: number;
  contentType: string;
  fileType: FileType;
  hash: string;
  width?: number;
  height?: number;
  accessLevel: AccessLevel;
  tags: Array<{ id: string; name: string; slug: string }>;
  collections: Array<{ id: string; title: string; slug: string }>;
  downloadCount: number;
  lastAccessedAt?: string;
  /** `{id, name}`, plus `email` for admins and the uploader (see `userRefFor`). */
  createdBy: UserRef;
  createdAt: string;
  updatedAt: string;
  deletedAt?: string;
  urls: MediaUrls;
}

const optional = <K extends string, V>(key: K, value: V | null | undefined) =>
  (value === null || value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

export function toPendingFileView(
  file: PendingFile & { uploaders: UserSource[] },
  viewer: AuthenticatedUser,
  urls: MediaUrls,
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
    expiresAt: file.expiresAt.toISOString(),
    uploadedBy: userRefFor(file.uploadedBy, viewer),
    uploaders: file.uploaders.map((uploader) => userRefFor(uploader, viewer)),
    createdAt: file.createdAt.toISOString(),
    updatedAt: file.updatedAt.toISOString(),
    urls,
  };
}

/**
 * What a media file view is made of: the entity loaded with its relations, or a row hydrated in one SQL query
 * (the library's lists), which has the same fields.
 */
export type MediaFileSource = Omit<MediaFile, 'tags' | 'collections' | 'createdBy' | 'deletedById'> & {
  tags?: Array<{ id: string; name: string; slug: string }>;
  collections?: Array<{ id: string; title: string; slug: string }>;
  createdBy: UserRef;
};

export function toMediaFileView(file: MediaFileSource, urls: MediaUrls): MediaFileView {
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
    downloadCount: file.downloadCount,
    ...optional('lastAccessedAt', file.lastAccessedAt?.toISOString()),
    createdBy: { ...file.createdBy },
    createdAt: file.createdAt.toISOString(),
    updatedAt: file.updatedAt.toISOString(),
    ...optional('deletedAt', file.deletedAt?.toISOString()),
    urls,
  };
}
