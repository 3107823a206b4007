/**
 * The views of API.md that the generated schema does not describe yet (the server's document types requests, not
 * yet every response). Once the document types its responses, these become aliases of `components['schemas']`.
 */
export type Role = 'admin' | 'member';
export type AccessLevel = 'public' | 'members' | 'staff' | 'private';
export type FileType = 'image' | 'document' | 'video' | 'audio' | 'archive' | 'other';

export const ACCESS_LEVELS: AccessLevel[] = ['public', 'members', 'staff', 'private'];
export const FILE_TYPES: FileType[] = ['image', 'document', 'video', 'audio', 'archive', 'other'];

export interface User {
  id: string;
  email: string;
  name?: string;
  role: Role;
  disabled?: boolean;
  createdAt: string;
}

export interface Person {
  id: string;
  email?: string;
  name?: string;
}

export interface MediaUrls {
  content: string;
  thumbnail?: string;
  preview?: string;
}

export type RenditionStatus = 'pending' | 'ready' | 'failed' | 'unsupported';

export interface Renditions {
  status: RenditionStatus;
  thumbnail?: { width: number; height: number; contentType: string; size: number };
  preview?: { width: number; height: number; contentType: string; size: number };
  failureReason?: string;
}

/** What the server extracted from the content (`gps` only for the uploader and admins). */
export interface MediaInfo {
  width?: number;
  height?: number;
  durationSeconds?: number;
  pageCount?: number;
  videoCodec?: string;
  audioCodec?: string;
  takenAt?: string;
  camera?: { make?: string; model?: string };
  lens?: string;
  exposure?: { exposureTime?: number; fNumber?: number; iso?: number; focalLength?: number };
  gps?: { latitude: number; longitude: number; altitude?: number };
}

export interface MediaFile {
  id: string;
  title: string;
  slug: string;
  description: string | null;
  originalFilename: string;
  fileSize: number;
  contentType: string;
  fileType: FileType;
  hash: string;
  width?: number | null;
  height?: number | null;
  accessLevel: AccessLevel;
  tags: { id: string; name: string; slug: string }[];
  collections: { id: string; title: string; slug: string }[];
  downloadCount: number;
  lastAccessedAt?: string | null;
  createdBy: Person | null;
  createdAt: string;
  updatedAt: string;
  deletedAt?: string | null;
  urls?: MediaUrls;
  renditions?: Renditions;
  placeholder?: string;
  mediaInfo?: MediaInfo;
}

export type PendingStatus = 'pending' | 'approved' | 'rejected' | 'expired';

export interface PendingFile {
  id: string;
  originalFilename: string;
  fileSize: number;
  contentType: string;
  fileType: FileType;
  hash: string;
  folderPath: string | null;
  status: PendingStatus;
  reason?: string | null;
  /** A replacement of that library file's content, proposed by its uploader. */
  replacesMediaFileId?: string;
  expiresAt: string;
  uploadedBy: Person | null;
  createdAt: string;
  updatedAt: string;
  urls?: MediaUrls;
  renditions?: Renditions;
  placeholder?: string;
  mediaInfo?: MediaInfo;
}

export interface Page<T> {
  results: T[];
  count: number;
  page: number;
  pageSize: number;
  totalPages: number;
  hasNext: boolean;
  hasPrevious: boolean;
}

export interface Tag {
  id: string;
  name: string;
  slug: string;
  color?: string | null;
  description?: string | null;
  fileCount?: number;
}

export interface Collection {
  id: string;
  title: string;
  slug: string;
  description?: string | null;
  accessLevel: AccessLevel;
  fileCount?: number;
}

export type UploadStatus = 'pending' | 'pending_updated' | 'exists' | 'error';

export interface UploadResult {
  filename: string;
  status: UploadStatus;
  hash?: string;
  pendingFile?: PendingFile;
  mediaFile?: MediaFile;
  error?: { code: string; message: string };
}

export interface UploadResponse {
  results: UploadResult[];
  successCount: number;
  errorCount: number;
}

export type HashStatus = 'new' | 'pending' | 'exists' | 'trashed';

export interface JobRun {
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  outcome: 'succeeded' | 'failed' | 'skipped';
  counts: Record<string, unknown>;
  error?: string;
}

export interface JobOverview {
  job: string;
  schedule: string;
  enabled: boolean;
  lastRun: JobRun | null;
  nextRunAt?: string;
  running: boolean;
  outcomes: Record<string, number>;
}

export interface StorageReport {
  objects: number;
  bytes: number;
  referencedObjects: number;
  orphanObjects: number;
  missingObjects: number;
}

export interface LoginAnswer {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  user: User;
  refreshToken?: string;
}
