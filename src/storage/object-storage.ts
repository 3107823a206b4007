import type { Readable } from 'node:stream';

export interface StoredObjectInfo {
  key: string;
  size: number;
  /** Opaque; not necessarily the MD5 of the content (multipart uploads have a different ETag on real S3). */
  etag: string;
  lastModified: Date;
}

/** Inclusive on both ends, like HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface PutOptions {
  contentType?: string;
  /** User metadata (`x-amz-meta-*`): lowercase names of `a-z0-9-`, printable ASCII values. */
  metadata?: Record<string, string>;
}

export interface PresignOptions {
  expirySeconds: number;
  /** The name the browser saves the file as; any Unicode, encoded per RFC 6266 / RFC 5987. */
  filename: string;
  contentType?: string;
  /**
   * `inline` instead of `attachment`, honoured only for passive `contentType`s (images, audio, video, PDF, plain
   * text): active ones (HTML, SVG, XML, scripts) and an unknown type always get `attachment`.
   */
  inline?: boolean;
}

/**
 * The object store port: everything the application needs from S3, nothing more. The single implementation is
 * `MinioObjectStorage`; this abstract class is also the dependency-injection token.
 *
 * Failures: an unreachable or failing store raises `StorageUnavailableException`; a missing object is not a
 * failure (`stat` answers null, `remove` succeeds) except where its bytes are asked for (`getStream` raises
 * `ObjectNotFoundException`). A failing *body* stream given to `putStream` rejects with the body's own error.
 */
export abstract class ObjectStorage {
  /** Creates the bucket if it is missing (safe when several instances start at once). */
  abstract ensureBucket(): Promise<void>;

  /**
   * Stores a stream of unknown length under `key`, replacing any object there. Small bodies go up in one request;
   * bodies above the part size go up as a multipart upload, holding at most one part in memory. The object
   * becomes visible only once complete: if the body errors or the store fails, nothing is left under `key`
   * (a previous object there stays as it was) and the body is destroyed.
   */
  abstract putStream(key: string, body: Readable, options?: PutOptions): Promise<{ size: number; etag: string }>;

  /** null when there is no such object. */
  abstract stat(key: string): Promise<StoredObjectInfo | null>;

  /** The bytes of the object (or of `range`); `ObjectNotFoundException` when missing. */
  abstract getStream(key: string, range?: ByteRange): Promise<Readable>;

  /** Idempotent: removing a missing object succeeds. */
  abstract remove(key: string): Promise<void>;

  /** Every object whose key starts with `prefix` (all objects when omitted), in key order, page by page. */
  abstract list(prefix?: string): AsyncIterable<StoredObjectInfo>;

  /**
   * A URL that lets anyone holding it GET the object for `expirySeconds`, answered with a `Content-Disposition`
   * carrying `filename` (and `Content-Type` when given). Signed for the public endpoint; no network call.
   */
  abstract presignedGetUrl(key: string, options: PresignOptions): Promise<string>;

  /** Succeeds when the store answers and the bucket exists; otherwise `StorageUnavailableException`. */
  abstract ping(): Promise<void>;
}
