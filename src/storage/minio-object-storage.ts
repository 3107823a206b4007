import { Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Client, type ClientOptions } from 'minio';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { PassThrough, type Readable } from 'node:stream';
import { contentDisposition, mayRenderInline } from './content-disposition.js';
import {
  ObjectStorage,
  type ByteRange,
  type PresignOptions,
  type PutOptions,
  type StoredObjectInfo,
} from './object-storage.js';
import {
  ObjectNotFoundException,
  RangeNotSatisfiableException,
  StorageUnavailableException,
} from './storage.errors.js';

export interface MinioObjectStorageOptions {
  /** `http(s)://host:port` the server talks to. */
  endpoint: string;
  /** `http(s)://host:port` browsers use for presigned URLs; defaults to `endpoint`. */
  publicEndpoint?: string;
  accessKey: string;
  secretKey: string;
  region: string;
  bucket: string;
  /** Bodies up to this size go up in one PUT, larger ones in parts of this size (5 MiB … 5 GiB). */
  partSize?: number;
  /** A request whose connection stays silent this long fails (StorageUnavailable). */
  idleTimeoutMs?: number;
  /** Keys per list request (1 … 1000). */
  listPageSize?: number;
  /** Told about every failed storage request (metrics); must not throw. */
  onUnavailable?: (operation: string) => void;
}

const MiB = 1024 * 1024;
/**
 * 8 MiB parts: an upload holds at most two parts in memory (one being sent, one being filled), and 10,000 parts
 * still allow objects of 78 GiB, far above MAX_FILE_BYTES.
 */
export const DEFAULT_PART_SIZE = 8 * MiB;
const MIN_PART_SIZE = 5 * MiB;
const MAX_PART_SIZE = 5 * 1024 * MiB;
const MAX_PARTS = 10_000;
const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
/**
 * A kept-alive connection left idle this long is closed by us. It must be shorter than any server's own keep-alive
 * timeout (5 s for Node's http servers, our embedded S3 server included; more for MinIO and S3): when a server closes
 * an idle connection just as a request is sent on it, that request fails with ECONNRESET (a 503 to our client).
 */
const IDLE_SOCKET_MS = 4_000;
/** Completing a multipart upload makes some servers (s3rver) copy every part before answering. */
const COMPLETE_MULTIPART_TIMEOUT_MS = 10 * 60_000;
const NOT_FOUND_CODES = new Set(['NoSuchKey', 'NotFound']);
const METADATA_NAME = /^[a-z0-9][a-z0-9-]*$/;
const METADATA_VALUE = /^[\x20-\x7e]*$/;

/** The `ObjectStorage` port over the minio client, for MinIO, S3 and the embedded s3rver. */
export class MinioObjectStorage extends ObjectStorage implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ObjectStorage');
  private readonly client: Client;
  /** Same credentials and region, public endpoint: only ever used to sign URLs (offline, region is fixed). */
  private readonly publicClient: Client;
  private readonly agent: http.Agent;
  private readonly bucket: string;
  private readonly partSize: number;
  private readonly listPageSize: number;
  private readonly onUnavailable?: (operation: string) => void;

  constructor(options: MinioObjectStorageOptions) {
    super();
    this.onUnavailable = options.onUnavailable;
    this.bucket = options.bucket;
    this.partSize = options.partSize ?? DEFAULT_PART_SIZE;
    if (!Number.isInteger(this.partSize) || this.partSize < MIN_PART_SIZE || this.partSize > MAX_PART_SIZE) {
      throw new RangeError('partSize must be an integer between 5 MiB and 5 GiB');
    }
    this.listPageSize = Math.min(1000, Math.max(1, options.listPageSize ?? 1000));

    const endpoint = parseEndpoint(options.endpoint, 'endpoint');
    const publicEndpoint = parseEndpoint(options.publicEndpoint ?? options.endpoint, 'publicEndpoint');
    const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    const protocol = endpoint.useSSL ? https : http;
    // `timeout` only bounds idle sockets here: each request sets its own timeout below (the agent's would not apply).
    this.agent = new protocol.Agent({ keepAlive: true, maxSockets: 64, timeout: IDLE_SOCKET_MS });
    const common = {
      accessKey: options.accessKey,
      secretKey: options.secretKey,
      region: options.region,
      pathStyle: true,
    };
    this.client = new Client({
      ...common,
      ...endpoint,
      partSize: this.partSize,
      transportAgent: this.agent,
      // The minio client sets no timeout of its own: a silent connection would hang the request forever.
      transport: {
        request: ((requestOptions: http.RequestOptions, callback?: (res: IncomingMessage) => void) => {
          const request = protocol.request(requestOptions, callback);
          const completing = requestOptions.method === 'POST' && /[?&]uploadId=/.test(requestOptions.path ?? '');
          const timeout = completing ? Math.max(idleTimeoutMs, COMPLETE_MULTIPART_TIMEOUT_MS) : idleTimeoutMs;
          request.setTimeout(timeout, () => request.destroy(new StorageTimeoutError(timeout)));
          return request;
        }) as typeof http.request,
      },
    } satisfies ClientOptions);
    this.publicClient = new Client({ ...common, ...publicEndpoint });
  }

  async onModuleInit(): Promise<void> {
    await this.ensureBucket();
  }

  onModuleDestroy(): void {
    this.agent.destroy();
  }

  async ensureBucket(): Promise<void> {
    try {
      if (await this.client.bucketExists(this.bucket)) return;
      try {
        await this.client.makeBucket(this.bucket);
        this.logger.log(`Created bucket ${this.bucket}`);
      } catch (error) {
        // Another instance starting at the same moment may have created it first.
        const code = errorCode(error);
        if (code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists') throw error;
        if (!(await this.client.bucketExists(this.bucket))) throw error;
      }
    } catch (error) {
      throw this.unavailable('ensureBucket', undefined, error);
    }
  }

  async putStream(key: string, body: Readable, options: PutOptions = {}): Promise<{ size: number; etag: string }> {
    let headers: Record<string, string>;
    try {
      headers = objectHeaders(options);
    } catch (error) {
      body.destroy();
      throw error;
    }
    let uploadId: string | undefined;
    let size = 0;
    const parts: Array<{ part: number; etag: string }> = [];
    let pending: Buffer[] = [];
    let pendingBytes = 0;

    let partCount = 0;
    const uploadPendingPart = async (bytes: Buffer, part: number) => {
      uploadId ??= await this.storageCall('putStream', key, () =>
        this.client.initiateNewMultipartUpload(this.bucket, key, headers),
      );
      if (part > MAX_PARTS) throw new RangeError('The object is too large for the configured part size');
      const id = uploadId;
      // No Content-MD5: on plain HTTP the client signs the payload's SHA-256 (which the server verifies), and on
      // HTTPS TLS protects it; another full pass over every byte would only cost throughput.
      const { etag } = await this.storageCall('putStream', key, () =>
        this.client.uploadPart(
          { bucketName: this.bucket, objectName: key, uploadID: id, partNumber: part, headers: {} },
          bytes,
        ),
      );
      parts[part - 1] = { part, etag };
    };
    // One part goes up while the next one is read: the body keeps flowing, at the cost of a second part in memory.
    // The two parts' memory is used in turn rather than allocated per part: a 256 MiB upload made 32 buffers of 8 MiB
    // for the garbage collector, which ran a full collection every ~100 ms for them and let the process grow by
    // what it had not collected yet.
    const partMemory: Buffer[] = [];
    let inFlight: Promise<void> | undefined;
    const sendPart = async (bytes: Buffer) => {
      if (inFlight) await inFlight;
      partCount += 1;
      const sending = uploadPendingPart(bytes, partCount);
      sending.catch(() => undefined);
      inFlight = sending;
    };

    try {
      // Iterating the body propagates its errors (client abort, size limit) as they are, and backpressure holds the
      // body while a full part waits for the previous one to be sent. Leaving the loop early destroys the body.
      for await (const chunk of body as AsyncIterable<Buffer | string>) {
        const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        size += buffer.length;
        pending.push(buffer);
        pendingBytes += buffer.length;
        while (pendingBytes >= this.partSize) {
          // The memory of the part before last, whose upload has completed: `sendPart` awaits each part before it
          // sends the next.
          const memory = (partMemory[partCount % 2] ??= Buffer.allocUnsafeSlow(this.partSize));
          let filled = 0;
          while (filled < this.partSize) {
            const next = pending.shift() as Buffer;
            const taken = Math.min(next.length, this.partSize - filled);
            next.copy(memory, filled, 0, taken);
            filled += taken;
            if (taken < next.length) pending.unshift(next.subarray(taken));
          }
          pendingBytes -= this.partSize;
          await sendPart(memory);
        }
      }

      if (partCount === 0) {
        // The whole body fit in one part: a single PUT, visible at once and complete.
        const bytes = Buffer.concat(pending, pendingBytes);
        const { etag } = await this.storageCall('putStream', key, () =>
          this.client.putObject(this.bucket, key, bytes, bytes.length, headers),
        );
        return { size, etag };
      }
      if (pendingBytes > 0) await sendPart(Buffer.concat(pending, pendingBytes));
      pending = [];
      await inFlight;
      const id = uploadId as string; // set by the first part, which has completed by now
      const { etag } = await this.storageCall('putStream', key, () =>
        this.client.completeMultipartUpload(this.bucket, key, id, parts),
      );
      return { size, etag };
    } catch (error) {
      if (!body.destroyed) body.destroy();
      await inFlight?.catch(() => undefined);
      if (uploadId !== undefined) await this.abortUpload(key, uploadId);
      throw error;
    }
  }

  async stat(key: string): Promise<StoredObjectInfo | null> {
    try {
      const info = await this.client.statObject(this.bucket, key);
      return { key, size: info.size, etag: info.etag, lastModified: info.lastModified };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw this.unavailable('stat', key, error);
    }
  }

  async getStream(key: string, range?: ByteRange): Promise<Readable> {
    if (
      range &&
      !(
        Number.isSafeInteger(range.start) &&
        Number.isSafeInteger(range.end) &&
        range.start >= 0 &&
        range.end >= range.start
      )
    ) {
      throw new RangeError('A byte range needs integers with 0 <= start <= end');
    }
    let response: IncomingMessage;
    try {
      response = (
        range
          ? await this.client.getPartialObject(this.bucket, key, range.start, range.end - range.start + 1)
          : await this.client.getObject(this.bucket, key)
      ) as IncomingMessage;
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundException();
      if (errorCode(error) === 'InvalidRange') throw new RangeNotSatisfiableException();
      throw this.unavailable('getStream', key, error);
    }
    if (range && response.statusCode !== 206) {
      response.destroy();
      throw this.unavailable(
        'getStream',
        key,
        new Error(`Expected 206 for a range request, got ${response.statusCode}`),
      );
    }
    // The body may be read slowly (a browser on a slow link pauses it): the idle timeout is for the server, not for
    // our reader. A connection lost mid-body still ends the stream with StorageUnavailableException.
    response.socket?.setTimeout(0);
    const output = new PassThrough();
    response.on('error', (error) => output.destroy(this.unavailable('getStream', key, error)));
    response.on('aborted', () => output.destroy(this.unavailable('getStream', key, new Error('response aborted'))));
    output.on('close', () => {
      if (!response.complete) response.destroy();
    });
    response.pipe(output);
    return output;
  }

  async remove(key: string): Promise<void> {
    try {
      await this.client.removeObject(this.bucket, key);
    } catch (error) {
      if (isNotFound(error)) return;
      throw this.unavailable('remove', key, error);
    }
  }

  async *list(prefix = ''): AsyncIterable<StoredObjectInfo> {
    let marker = '';
    for (;;) {
      // ListObjects v1 with a marker: s3rver's v2 continuation tokens need DES, which Node's OpenSSL 3 refuses.
      const page = await this.storageCall('list', prefix, () =>
        this.client.listObjectsQuery(this.bucket, prefix, marker, { Delimiter: '', MaxKeys: this.listPageSize }),
      );
      for (const item of page.objects) {
        if (item.name === undefined) continue; // a common prefix, only listed with a delimiter
        yield {
          key: item.name,
          size: item.size ?? 0,
          etag: item.etag ?? '',
          lastModified: item.lastModified ?? new Date(0),
        };
      }
      const last = page.objects.at(-1)?.name;
      if (!page.isTruncated || last === undefined) return;
      marker = last;
    }
  }

  async presignedGetUrl(key: string, options: PresignOptions): Promise<string> {
    // Decided here so that every signed URL obeys it, whoever asks for one.
    const inline = options.inline === true && mayRenderInline(options.contentType);
    const responseHeaders: Record<string, string> = {
      'response-content-disposition': contentDisposition(options.filename, inline),
    };
    if (options.contentType) responseHeaders['response-content-type'] = options.contentType;
    // Region is configured, so the client signs offline (no GetBucketLocation round trip).
    return this.publicClient.presignedGetObject(this.bucket, key, options.expirySeconds, responseHeaders);
  }

  async ping(): Promise<void> {
    const exists = await this.storageCall('ping', undefined, () => this.client.bucketExists(this.bucket));
    if (!exists) throw this.unavailable('ping', undefined, new Error('bucket missing'));
  }

  /** Runs one storage request; any failure becomes StorageUnavailableException (logged with bucket and key). */
  private async storageCall<T>(operation: string, key: string | undefined, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw this.unavailable(operation, key, error);
    }
  }

  private async abortUpload(key: string, uploadId: string): Promise<void> {
    try {
      await this.client.abortMultipartUpload(this.bucket, key, uploadId);
    } catch (error) {
      // Nothing is visible under the key either way; the parts linger until the bucket's lifecycle rules (or the
      // embedded server's start-up sweep) remove them.
      this.logger.warn(`Could not abort multipart upload of ${this.bucket}/${key}: ${describe(error)}`);
    }
  }

  private unavailable(operation: string, key: string | undefined, error: unknown): StorageUnavailableException {
    if (error instanceof StorageUnavailableException) return error;
    this.onUnavailable?.(operation);
    this.logger.warn(
      `Storage ${operation} failed (${this.bucket}${key === undefined ? '' : `/${key}`}): ${describe(error)}`,
    );
    return new StorageUnavailableException({ cause: error });
  }
}

class StorageTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(timeoutMs: number) {
    super(`No response from the object store within ${timeoutMs} ms`);
    this.name = 'StorageTimeoutError';
  }
}

function parseEndpoint(value: string, name: string): { endPoint: string; port: number; useSSL: boolean } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`Storage ${name} is not a URL`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || (url.pathname !== '/' && url.pathname !== '')) {
    // Signatures cover the path: an endpoint below a path prefix cannot be signed for.
    throw new Error(`Storage ${name} must be http(s)://host[:port] without a path`);
  }
  const useSSL = url.protocol === 'https:';
  return {
    endPoint: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
  };
}

function objectHeaders(options: PutOptions): Record<string, string> {
  const headers: Record<string, string> = { 'Content-Type': options.contentType ?? 'application/octet-stream' };
  for (const [name, value] of Object.entries(options.metadata ?? {})) {
    if (!METADATA_NAME.test(name) || !METADATA_VALUE.test(value)) {
      throw new TypeError('Object metadata needs lowercase a-z0-9- names and printable ASCII values');
    }
    headers[`x-amz-meta-${name}`] = value;
  }
  return headers;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isNotFound(error: unknown): boolean {
  return NOT_FOUND_CODES.has(errorCode(error) ?? '');
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = errorCode(error);
  return code ? `${code}: ${error.message}` : error.message;
}
