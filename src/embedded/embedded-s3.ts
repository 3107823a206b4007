import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * An S3-compatible server on the local filesystem, for development and tests when no `S3_ENDPOINT` is configured.
 *
 * It is s3rver (`@20minutes/s3rver`, the maintained fork; a Koa app) behind a small front server of ours, because
 * s3rver alone is not good enough to hold data we promise never to lose:
 * - its only account has public credentials (`S3RVER`/`S3RVER`) and it accepts anonymous requests: the credentials
 *   are generated per data directory (kept there, mode 0600) and the front server verifies every SigV4 signature
 *   with them, so only holders of the credentials (and of presigned URLs) get in, and browser-forged requests
 *   (CSRF) do not;
 * - it trusts bucket names, keys, upload ids and part numbers as path segments (`..` escapes the data directory,
 *   `DELETE /..` would remove its parent): the front server rejects them;
 * - it writes objects in place, so a failed or concurrent PUT leaves a truncated object visible (or truncates the
 *   previous one): objects are written to a temporary file and renamed into place;
 * - it ignores `x-amz-content-sha256` / `Content-MD5`: uploads are checked against them before they become visible;
 * - it lacks ListMultipartUploads (the minio client calls it before a multipart upload) and AbortMultipartUpload;
 * - `Range: bytes=0-0` returns the whole object and suffix ranges (`bytes=-N`) return the wrong bytes.
 */
export interface EmbeddedS3 {
  /** e.g. `http://127.0.0.1:45678` */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  region: string;
  stop(): Promise<void>;
}

export interface EmbeddedS3Options {
  /** Where the objects live; created if missing. A later start on the same directory sees the same objects. */
  directory: string;
  /** 0 or undefined: a random free port. */
  port?: number;
  /** Loopback only (default 127.0.0.1): this is a development server, not something to expose. */
  host?: string;
  /** Default true: no request log. */
  silent?: boolean;
}

export interface S3Credentials {
  accessKey: string;
  secretKey: string;
}

const REGION = 'us-east-1';
/** Generated on the first start in a directory, read back on later starts (mode 0600, like the JWT secret). */
const CREDENTIALS_FILE = '.credentials.json';

const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGN_EXPIRY_SECONDS = 7 * 24 * 3600;
/** Temporary files and multipart uploads left behind by a crash are swept at start once older than this. */
const STALE_UPLOAD_MS = 24 * 3600 * 1000;
/**
 * Objects are read and sent in chunks this large, not fs streams' 64 KiB: a 1.9 MB GET then costs the server 35 % less
 * CPU and the client 20 % less (fewer reads, socket writes and buffers to collect), for half a MiB per download.
 */
const READ_CHUNK_BYTES = 512 * 1024;
/** In-flight requests get this long to finish when the server stops. */
const STOP_GRACE_MS = 1000;

const INCOMING_DIRECTORY = '.incoming';
const UPLOADS_DIRECTORY = '._S3rver_uploads';
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const UPLOAD_ID = /^[0-9a-f]{32}$/;
const PART_NUMBER = /^[1-9][0-9]{0,4}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/i;

// --- the parts of s3rver we use (it is CommonJS without types) ---------------------------------------------------

interface S3rverObject {
  bucket: string;
  key: string;
  content: Readable | Buffer | null;
  metadata: Record<string, string | number>;
  range?: { start: number; end: number };
}

interface S3rverStore {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  getMetadata(bucket: string, key: string): Promise<Record<string, string | number>>;
  putMetadata(bucket: string, key: string, metadata: Record<string, unknown>, md5?: string): Promise<void>;
  getObject(bucket: string, key: string, options?: { start?: number; end?: number }): Promise<S3rverObject | null>;
  putObject(object: S3rverObject): Promise<{ size: number; md5: string }>;
  putPart(
    bucket: string,
    uploadId: string,
    partNumber: number | string,
    content: Readable,
  ): Promise<{ size: number; md5: string }>;
  listObjects(
    bucket: string,
    options: { encodingType?: string },
  ): Promise<{ objects: S3rverObject[]; commonPrefixes: string[] }>;
  listBuckets(): Promise<Array<{ name: string }>>;
}

interface S3rverApp {
  store: S3rverStore;
  silent: boolean;
  callback(): RequestListener;
  logger: { exceptions: { unhandle(): void }; close(): void };
}

type S3ErrorInstance = Error & { status: number; expose: boolean };

interface S3rverAccount {
  createKeyPair(accessKeyId: string, secretAccessKey: string): void;
  revokeAccessKey(accessKeyId: string): void;
}

const require = createRequire(import.meta.url);
const S3rver = require('@20minutes/s3rver') as new (options: Record<string, unknown>) => S3rverApp;
const S3Error = require('@20minutes/s3rver/lib/models/error.js') as new (
  code: string,
  message?: string,
) => S3ErrorInstance;
const { DUMMY_ACCOUNT: S3RVER_ACCOUNT } = require('@20minutes/s3rver/lib/models/account.js') as {
  DUMMY_ACCOUNT: S3rverAccount;
};
const S3Object = require('@20minutes/s3rver/lib/models/object.js') as new (
  bucket: string,
  key: string,
  content: Readable | null,
  metadata: Record<string, string | number>,
) => S3rverObject;

// --- start / stop ---------------------------------------------------------------------------------------------------

export async function startEmbeddedS3(options: EmbeddedS3Options): Promise<EmbeddedS3> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host)) {
    // A development server: it is not hardened to face a network.
    throw new Error(`The embedded S3 server only listens on a loopback address, not on "${host}"`);
  }
  const directory = resolve(options.directory);
  await mkdir(join(directory, INCOMING_DIRECTORY), { recursive: true });
  await sweepStaleUploads(directory);
  const credentials = await persistentCredentials(join(directory, CREDENTIALS_FILE));
  // s3rver looks accounts up in a process-wide registry; its built-in public key pair never gets in.
  S3RVER_ACCOUNT.revokeAccessKey('S3RVER');
  S3RVER_ACCOUNT.createKeyPair(credentials.accessKey, credentials.secretKey);

  const s3rver = new S3rver({
    directory,
    silent: options.silent ?? true,
    // Requests come in as http://127.0.0.1:PORT/bucket/key; never guess a bucket from the Host header.
    vhostBuckets: false,
    resetOnClose: false,
    // The front server has verified the signature against the original request; it then rewrites a signed
    // `Range` header (normalizeRange), which s3rver's own check would take for a forgery.
    allowMismatchedSignatures: true,
  });
  makeStoreSafe(s3rver.store, directory);

  const forward = s3rver.callback();
  const server = http.createServer((req, res) => {
    handleRequest(req, res, directory, credentials, s3rver.store, forward).catch((error: unknown) => {
      if (!res.headersSent) sendError(req, res, 500, 'InternalError', 'We encountered an internal error.');
      else res.destroy(error instanceof Error ? error : undefined);
    });
  });
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= new Promise<void>((resolveStop, rejectStop) => {
      const forceClose = setTimeout(() => server.closeAllConnections(), STOP_GRACE_MS);
      server.close((error) => {
        clearTimeout(forceClose);
        s3rver.logger.exceptions.unhandle();
        s3rver.logger.close();
        if (error) rejectStop(error);
        else resolveStop();
      });
      server.closeIdleConnections();
    });
    return stopping;
  };

  return { endpoint, ...credentials, region: REGION, stop };
}

/**
 * The directory's key pair: generated on first use (an access key id is printed in every presigned URL, so it
 * tells nothing; the secret never leaves the file and the process), kept so a restart accepts the URLs and
 * clients of the previous run.
 */
async function persistentCredentials(file: string): Promise<S3Credentials> {
  const read = async (): Promise<S3Credentials | undefined> => {
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<S3Credentials>;
      const valid = (value: unknown) => typeof value === 'string' && /^[A-Za-z0-9_-]{16,128}$/.test(value);
      return valid(parsed.accessKey) && valid(parsed.secretKey) ? (parsed as S3Credentials) : undefined;
    } catch {
      return undefined;
    }
  };
  const existing = await read();
  if (existing) return existing;
  const generated: S3Credentials = {
    accessKey: `MV${randomBytes(12).toString('hex').toUpperCase()}`,
    secretKey: randomBytes(30).toString('base64url'),
  };
  try {
    // `wx`: when two processes race on a fresh directory, the first writer wins and the other reads its pair.
    await writeFile(file, `${JSON.stringify(generated)}\n`, { mode: 0o600, flag: 'wx' });
    return generated;
  } catch (error) {
    const written = (error as NodeJS.ErrnoException).code === 'EEXIST' ? await read() : undefined;
    if (!written) throw error;
    return written;
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

async function sweepStaleUploads(directory: string): Promise<void> {
  const cutoff = Date.now() - STALE_UPLOAD_MS;
  const removeIfStale = async (path: string) => {
    const info = await stat(path).catch(() => undefined);
    if (info && info.mtimeMs < cutoff) await rm(path, { recursive: true, force: true });
  };
  for (const name of await readdir(join(directory, INCOMING_DIRECTORY))) {
    await removeIfStale(join(directory, INCOMING_DIRECTORY, name));
  }
  for (const bucket of await readdir(directory)) {
    if (!BUCKET_NAME.test(bucket)) continue;
    const uploads = join(directory, bucket, UPLOADS_DIRECTORY);
    for (const uploadId of await readdir(uploads).catch(() => [] as string[])) {
      await removeIfStale(join(uploads, uploadId));
    }
  }
}

// --- the front server -----------------------------------------------------------------------------------------------

async function handleRequest(
  req: IncomingMessage,
  res: ServerResponse,
  directory: string,
  credentials: S3Credentials,
  store: S3rverStore,
  forward: RequestListener,
): Promise<void> {
  // Signed URLs open objects straight in a browser: never let it guess that a text/plain upload is HTML.
  res.setHeader('X-Content-Type-Options', 'nosniff');
  const rawUrl = req.url ?? '/';
  const queryStart = rawUrl.indexOf('?');
  const rawPath = queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart);
  const rawQuery = queryStart === -1 ? '' : rawUrl.slice(queryStart + 1);

  const target = parseTarget(rawPath);
  const query = parseQuery(rawQuery);
  if (!target || !query) return sendError(req, res, 400, 'InvalidURI', 'Could not parse the specified URI.');
  const { bucket, key } = target;
  const param = (name: string) => query.find(([k]) => k === name)?.[1];

  // CORS preflights carry no credentials by design; s3rver answers them from the bucket's CORS configuration.
  if (req.method !== 'OPTIONS') {
    const denied = verifySignature(req, rawPath, query, credentials);
    if (denied) return sendError(req, res, 403, denied.code, denied.message);
  }
  if (/^STREAMING-/.test(headerOf(req, 'x-amz-content-sha256') ?? '')) {
    // s3rver would store the aws-chunked framing as part of the object.
    return sendError(req, res, 501, 'NotImplemented', 'Chunked (streaming) payload signing is not supported.');
  }

  const uploadId = param('uploadId');
  if (uploadId !== undefined && !UPLOAD_ID.test(uploadId)) {
    return sendError(req, res, 404, 'NoSuchUpload', 'The specified upload does not exist.');
  }
  const partNumber = param('partNumber');
  if (partNumber !== undefined && !(PART_NUMBER.test(partNumber) && Number(partNumber) <= 10_000)) {
    return sendError(req, res, 400, 'InvalidArgument', 'Part number must be an integer between 1 and 10000.');
  }

  if (bucket && key === undefined) {
    const bucketExists = await isDirectory(join(directory, bucket));
    if (req.method === 'GET' && param('uploads') !== undefined && bucketExists) {
      // ListMultipartUploads: none are ever reported, so a client never "resumes" someone else's upload.
      return sendXml(req, res, 200, listMultipartUploadsXml(bucket, param('prefix') ?? '', param('delimiter')));
    }
    if (req.method === 'HEAD' && query.length === 0) {
      // HeadBucket; s3rver would list up to 1000 objects and read their metadata to answer it.
      return sendXml(req, res, bucketExists ? 200 : 404, '');
    }
  }

  if (bucket && key !== undefined && req.method === 'DELETE' && uploadId !== undefined) {
    // AbortMultipartUpload: drop the parts; nothing was ever visible under the key.
    const uploadDirectory = join(directory, bucket, UPLOADS_DIRECTORY, uploadId);
    if (!(await isDirectory(uploadDirectory))) {
      return sendError(req, res, 404, 'NoSuchUpload', 'The specified upload does not exist.');
    }
    await rm(uploadDirectory, { recursive: true, force: true });
    res.writeHead(204).end();
    return;
  }

  if (bucket && key !== undefined && (req.method === 'GET' || req.method === 'HEAD')) {
    await normalizeRange(req, store, bucket, key);
  }
  forward(req, res);
}

/** Bucket and key from the raw path; undefined when a segment could escape the data directory. */
function parseTarget(rawPath: string): { bucket?: string; key?: string } | undefined {
  const segments = rawPath.split('/').slice(1);
  let decoded: string[];
  try {
    decoded = segments.map((segment) => decodeURIComponent(segment));
  } catch {
    return undefined;
  }
  const [bucket, ...keySegments] = decoded;
  if (!bucket) return keySegments.length === 0 ? {} : undefined;
  if (!BUCKET_NAME.test(bucket) || bucket.includes('..')) return undefined;
  if (keySegments.length === 0 || (keySegments.length === 1 && keySegments[0] === '')) return { bucket };
  const key = keySegments.join('/');
  const keyParts = key.split('/');
  if (keyParts.some((part) => part === '.' || part === '..') || key.includes('\0')) return undefined;
  return { bucket, key };
}

/** Query parameters in order, decoded; undefined when malformed. */
function parseQuery(rawQuery: string): Array<[string, string]> | undefined {
  if (!rawQuery) return [];
  try {
    return rawQuery
      .split('&')
      .filter((pair) => pair !== '')
      .map((pair) => {
        const equals = pair.indexOf('=');
        const name = equals === -1 ? pair : pair.slice(0, equals);
        const value = equals === -1 ? '' : pair.slice(equals + 1);
        return [decodeURIComponent(name), decodeURIComponent(value)] as [string, string];
      });
  } catch {
    return undefined;
  }
}

/**
 * s3rver parses `Range` naively. Keep one well-formed range, resolve a suffix range against the object's size and
 * drop anything else (a multi-range or malformed header is ignored, as HTTP allows, and the whole object is sent).
 */
async function normalizeRange(req: IncomingMessage, store: S3rverStore, bucket: string, key: string): Promise<void> {
  const range = req.headers.range;
  if (range === undefined) return;
  const match = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  if (!match || (match[1] === '' && match[2] === '')) {
    delete req.headers.range;
    return;
  }
  const [, start, end] = match;
  if (start === '') {
    const info = await stat(store.getResourcePath(bucket, key, 'object')).catch(() => undefined);
    if (!info) return; // s3rver answers NoSuchKey
    const suffixLength = Number(end);
    if (suffixLength === 0 || info.size === 0) {
      req.headers.range = `bytes=${info.size}-`; // unsatisfiable, as S3 answers
      return;
    }
    req.headers.range = `bytes=${Math.max(0, info.size - suffixLength)}-${info.size - 1}`;
    return;
  }
  if (end !== '' && Number(end) < Number(start)) delete req.headers.range;
}

function listMultipartUploadsXml(bucket: string, prefix: string, delimiter: string | undefined): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    `<Bucket>${escapeXml(bucket)}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>` +
    '<NextKeyMarker></NextKeyMarker><NextUploadIdMarker></NextUploadIdMarker>' +
    `<Prefix>${escapeXml(prefix)}</Prefix>` +
    (delimiter ? `<Delimiter>${escapeXml(delimiter)}</Delimiter>` : '') +
    '<MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>' +
    '</ListMultipartUploadsResult>'
  );
}

function sendXml(req: IncomingMessage, res: ServerResponse, status: number, xml: string): void {
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(xml) });
  res.end(req.method === 'HEAD' ? undefined : xml);
}

function sendError(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string): void {
  // The request body (if any) is not read: close the connection rather than leave it half consumed.
  res.setHeader('Connection', 'close');
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>`;
  sendXml(req, res, status, xml);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

// --- AWS Signature Version 4 ----------------------------------------------------------------------------------------

interface Denial {
  code: string;
  message: string;
}

/** Checks the request's SigV4 signature (Authorization header or presigned query); returns why it is refused. */
function verifySignature(
  req: IncomingMessage,
  rawPath: string,
  query: Array<[string, string]>,
  credentials: S3Credentials,
): Denial | undefined {
  const param = (name: string) => query.find(([k]) => k === name)?.[1];
  const authorization = headerOf(req, 'authorization');
  let credential: string;
  let signedHeaders: string;
  let signature: string;
  let amzDate: string;
  let payloadHash: string;
  let signedQuery = query;
  const now = Date.now();

  if (authorization !== undefined) {
    const match = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(
      authorization.trim(),
    );
    if (!match) return { code: 'AccessDenied', message: 'Only AWS Signature Version 4 is supported.' };
    [, credential, signedHeaders, signature] = match;
    amzDate = headerOf(req, 'x-amz-date') ?? '';
    payloadHash = headerOf(req, 'x-amz-content-sha256') ?? '';
    if (!payloadHash) return { code: 'InvalidRequest', message: 'Missing required header: x-amz-content-sha256.' };
    const time = parseAmzDate(amzDate);
    if (time === undefined) return { code: 'AccessDenied', message: 'A valid x-amz-date header is required.' };
    if (Math.abs(now - time) > MAX_CLOCK_SKEW_MS) {
      return {
        code: 'RequestTimeTooSkewed',
        message: 'The difference between the request time and the current time is too large.',
      };
    }
  } else if (param('X-Amz-Algorithm') !== undefined) {
    if (param('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') {
      return {
        code: 'AuthorizationQueryParametersError',
        message: 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256".',
      };
    }
    credential = param('X-Amz-Credential') ?? '';
    signedHeaders = param('X-Amz-SignedHeaders') ?? '';
    signature = param('X-Amz-Signature') ?? '';
    amzDate = param('X-Amz-Date') ?? '';
    payloadHash = 'UNSIGNED-PAYLOAD';
    const expires = Number(param('X-Amz-Expires'));
    const time = parseAmzDate(amzDate);
    if (time === undefined || !Number.isInteger(expires) || expires < 1 || expires > MAX_PRESIGN_EXPIRY_SECONDS) {
      return { code: 'AuthorizationQueryParametersError', message: 'Malformed presigned request.' };
    }
    if (now > time + expires * 1000) return { code: 'AccessDenied', message: 'Request has expired.' };
    if (time - now > MAX_CLOCK_SKEW_MS) return { code: 'AccessDenied', message: 'Request is not valid yet.' };
    signedQuery = query.filter(([name]) => name !== 'X-Amz-Signature');
  } else {
    return { code: 'AccessDenied', message: 'Anonymous requests are not allowed.' };
  }

  const [accessKeyId, day, region, service, terminator, ...rest] = credential.split('/');
  if (accessKeyId !== credentials.accessKey) {
    return { code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.' };
  }
  if (rest.length > 0 || !region || service !== 's3' || terminator !== 'aws4_request' || day !== amzDate.slice(0, 8)) {
    return { code: 'AuthorizationHeaderMalformed', message: 'The credential scope is malformed.' };
  }
  const headerNames = signedHeaders.split(';');
  if (!headerNames.includes('host')) return { code: 'AccessDenied', message: 'The host header must be signed.' };

  const canonicalHeaders = headerNames.map(
    (name) => `${name}:${(headerOf(req, name) ?? '').trim().replace(/ +/g, ' ')}\n`,
  );
  const canonicalUri = rawPath
    .split('/')
    .map((segment) => uriEscape(decodeURIComponent(segment)))
    .join('/');
  const canonicalQuery = signedQuery
    .map(([name, value]) => [uriEscape(name), uriEscape(value)])
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const canonicalRequest = [
    req.method ?? 'GET',
    canonicalUri,
    canonicalQuery,
    canonicalHeaders.join(''),
    signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${day}/${region}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  let signingKey = hmac(`AWS4${credentials.secretKey}`, day);
  for (const part of [region, 's3', 'aws4_request']) signingKey = hmac(signingKey, part);
  const expected = createHmac('sha256', signingKey).update(stringToSign).digest();
  const provided = Buffer.from(signature, 'hex');
  if (provided.length !== expected.length || !timingSafeEqual(provided, expected)) {
    return {
      code: 'SignatureDoesNotMatch',
      message: 'The request signature we calculated does not match the signature you provided.',
    };
  }
  return undefined;
}

function parseAmzDate(value: string): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number);
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

function uriEscape(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

// --- store patches --------------------------------------------------------------------------------------------------

/** Replaces the FilesystemStore methods that lose or mangle data (see the module comment). */
function makeStoreSafe(store: S3rverStore, directory: string): void {
  const incoming = join(directory, INCOMING_DIRECTORY);
  const temporaryPath = () => join(incoming, randomBytes(12).toString('hex'));

  store.putObject = async (object) => {
    const objectPath = store.getResourcePath(object.bucket, object.key, 'object');
    const tempPath = temporaryPath();
    try {
      const { size, md5 } = await writeVerified(object.content, tempPath);
      await mkdir(dirname(objectPath), { recursive: true });
      // Metadata first, object last: the object becomes visible (by an atomic rename) only once complete.
      await store.putMetadata(object.bucket, object.key, object.metadata, md5);
      await rename(tempPath, objectPath);
      return { size, md5 };
    } finally {
      await rm(tempPath, { force: true });
    }
  };

  store.putPart = async (bucket, uploadId, partNumber, content) => {
    const partPath = join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId, String(partNumber));
    const tempPath = temporaryPath();
    try {
      const { size, md5 } = await writeVerified(content, tempPath);
      await mkdir(dirname(partPath), { recursive: true });
      await rename(tempPath, partPath);
      return { size, md5 };
    } finally {
      await rm(tempPath, { force: true });
    }
  };

  store.getObject = async (bucket, key, options) => {
    let metadata: Record<string, string | number>;
    try {
      metadata = await store.getMetadata(bucket, key);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    const size = Number(metadata['content-length']);
    const objectPath = store.getResourcePath(bucket, key, 'object');
    const ranged = options !== undefined && (options.start !== undefined || options.end !== undefined);
    if (!ranged) return new S3Object(bucket, key, await openStream(objectPath), metadata);

    const start = options.start ?? 0;
    const end = Math.min(options.end ?? Number.POSITIVE_INFINITY, size - 1);
    const satisfiable = Number.isSafeInteger(start) && start >= 0 && start < size && end >= start;
    // s3rver's controller answers InvalidRange for a ranged object without content.
    const object = new S3Object(
      bucket,
      key,
      satisfiable ? await openStream(objectPath, { start, end }) : null,
      metadata,
    );
    object.range = { start, end };
    return object;
  };

  // A file renamed or removed between s3rver's readdir and stat fails the whole listing; that is a retryable race.
  const listObjects = store.listObjects.bind(store);
  store.listObjects = async (bucket, options) => {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await listObjects(bucket, options);
        // s3rver ignores `encoding-type=url`, which clients (minio) then decode: `%` and `+` in keys get mangled.
        if (options.encodingType === 'url') {
          for (const object of result.objects) object.key = encodeURIComponent(object.key);
          result.commonPrefixes = result.commonPrefixes.map((prefix) => encodeURIComponent(prefix));
        }
        return result;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 3) throw error;
      }
    }
  };

  // The `.incoming` directory is ours, not a bucket.
  const listBuckets = store.listBuckets.bind(store);
  store.listBuckets = async () => (await listBuckets()).filter((bucket) => BUCKET_NAME.test(bucket.name));
}

function openStream(path: string, range?: { start: number; end: number }): Promise<ReadStream> {
  return new Promise((resolveOpen, rejectOpen) => {
    const stream = createReadStream(path, { ...range, highWaterMark: READ_CHUNK_BYTES });
    stream.once('error', rejectOpen).once('open', () => {
      stream.off('error', rejectOpen);
      resolveOpen(stream);
    });
  });
}

/**
 * Writes the body to `path` and checks it against the request's `x-amz-content-sha256` and `Content-MD5` when the
 * body is the request itself. Rejects (leaving `path` to the caller to remove) on a body error or a mismatch.
 */
async function writeVerified(content: Readable | Buffer | null, path: string): Promise<{ size: number; md5: string }> {
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  let size = 0;
  const headers = (content as Partial<IncomingMessage> | null)?.headers;
  const expectedSha256 = headers?.['x-amz-content-sha256'];
  const expectedMd5 = headers?.['content-md5'];
  const body: Readable | Buffer[] = content === null ? [] : Buffer.isBuffer(content) ? [content] : content;
  await pipeline(
    body,
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        md5.update(chunk);
        sha256.update(chunk);
        size += chunk.length;
        callback(null, chunk);
      },
    }),
    createWriteStream(path),
  );
  const md5Digest = md5.digest();
  if (typeof expectedSha256 === 'string' && SHA256_HEX.test(expectedSha256)) {
    if (sha256.digest('hex') !== expectedSha256.toLowerCase()) {
      throw s3Error(
        'XAmzContentSHA256Mismatch',
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
      );
    }
  }
  if (typeof expectedMd5 === 'string' && md5Digest.toString('base64') !== expectedMd5) {
    throw s3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.');
  }
  return { size, md5: md5Digest.toString('hex') };
}

function s3Error(code: string, message: string): S3ErrorInstance {
  const error = new S3Error(code, message);
  error.status = 400;
  error.expose = true;
  return error;
}
