import { Logger } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { Client } from 'minio';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { startEmbeddedS3, type EmbeddedS3 } from '../../src/embedded/embedded-s3.js';
import { storageConfig } from '../../src/config/storage.config.js';
import { MinioObjectStorage, type MinioObjectStorageOptions } from '../../src/storage/minio-object-storage.js';
import { ObjectStorage } from '../../src/storage/object-storage.js';
import { StorageModule } from '../../src/storage/storage.module.js';
import {
  ObjectNotFoundException,
  RangeNotSatisfiableException,
  StorageUnavailableException,
} from '../../src/storage/storage.errors.js';

/**
 * The storage adapter against a real S3 server over HTTP: our embedded one (s3rver) in a temporary directory, or
 * the server named by S3_ENDPOINT (with S3_ACCESS_KEY / S3_SECRET_KEY / S3_REGION) in a fresh random bucket.
 */
const MiB = 1024 * 1024;
const PART_SIZE = 5 * MiB;

let embedded: EmbeddedS3 | undefined;
let directory: string | undefined;
let connection: Omit<MinioObjectStorageOptions, 'bucket'>;
let bucket: string;
let storage: MinioObjectStorage;

beforeAll(async () => {
  // The adapter logs every storage failure; the failures here are on purpose.
  Logger.overrideLogger(false);
  bucket = `mv-test-${randomBytes(6).toString('hex')}`;
  if (process.env.S3_ENDPOINT) {
    connection = {
      endpoint: process.env.S3_ENDPOINT,
      accessKey: process.env.S3_ACCESS_KEY ?? '',
      secretKey: process.env.S3_SECRET_KEY ?? '',
      region: process.env.S3_REGION ?? 'us-east-1',
    };
  } else {
    directory = await mkdtemp(join(tmpdir(), 'mv-storage-'));
    embedded = await startEmbeddedS3({ directory });
    connection = { ...embedded };
  }
  storage = new MinioObjectStorage({ ...connection, bucket, partSize: PART_SIZE, listPageSize: 2 });
  await storage.ensureBucket();
});

afterAll(async () => {
  if (storage) {
    if (!embedded) {
      for await (const object of storage.list()) await storage.remove(object.key);
      await rawClient()
        .removeBucket(bucket)
        .catch(() => undefined);
    }
    storage.onModuleDestroy();
  }
  await embedded?.stop();
  if (directory) await rm(directory, { recursive: true, force: true });
});

function rawClient(): Client {
  const url = new URL(connection.endpoint);
  return new Client({
    endPoint: url.hostname,
    port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
    useSSL: url.protocol === 'https:',
    accessKey: connection.accessKey,
    secretKey: connection.secretKey,
    region: connection.region,
  });
}

function uniqueKey(prefix = 'objects'): string {
  return `${prefix}/${randomBytes(8).toString('hex')}`;
}

/** A stream of unknown length, in chunks the way an HTTP upload arrives. */
function chunked(bytes: Buffer, chunkSize = 64 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < bytes.length; offset += chunkSize) yield bytes.subarray(offset, offset + chunkSize);
    })(),
  );
}

/** Yields `bytes`, then fails with `failure`, like an upload whose client goes away. */
function failingAfter(bytes: Buffer, failure: Error): Readable {
  return Readable.from(
    (async function* () {
      for (let offset = 0; offset < bytes.length; offset += 64 * 1024) yield bytes.subarray(offset, offset + 64 * 1024);
      await new Promise((resolve) => setTimeout(resolve, 10));
      throw failure;
    })(),
  );
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function collect(iterable: AsyncIterable<{ key: string }>): Promise<string[]> {
  const keys: string[] = [];
  for await (const item of iterable) keys.push(item.key);
  return keys;
}

async function leftoverUploads(): Promise<string[]> {
  if (!directory) return [];
  return readdir(join(directory, bucket, '._S3rver_uploads')).catch(() => []);
}

describe('MinioObjectStorage', () => {
  it('stores a small object and reads it back with its size, etag and content type', async () => {
    const key = uniqueKey();
    const bytes = Buffer.from('hello, mediavault\n');
    const put = await storage.putStream(key, chunked(bytes, 4), {
      contentType: 'text/plain',
      metadata: { sha256: sha256(bytes) },
    });
    expect(put.size).toBe(bytes.length);
    expect(put.etag).toMatch(/\S/);

    const info = await storage.stat(key);
    expect(info).toMatchObject({ key, size: bytes.length, etag: put.etag });
    expect(info!.lastModified).toBeInstanceOf(Date);
    expect(await buffer(await storage.getStream(key))).toEqual(bytes);
    const head = await rawClient().statObject(bucket, key);
    expect(head.metaData['content-type']).toBe('text/plain');
    expect(head.metaData.sha256).toBe(sha256(bytes));
  });

  it('stores an empty object', async () => {
    const key = uniqueKey();
    expect(await storage.putStream(key, Readable.from([]))).toMatchObject({ size: 0 });
    expect(await storage.stat(key)).toMatchObject({ size: 0 });
    expect((await buffer(await storage.getStream(key))).length).toBe(0);
  });

  it('uploads a body of unknown length above the part size as a multipart upload, byte for byte', async () => {
    const key = uniqueKey();
    const bytes = randomBytes(12 * MiB + 12_345);
    const put = await storage.putStream(key, chunked(bytes), { contentType: 'application/octet-stream' });
    expect(put.size).toBe(bytes.length);

    expect((await storage.stat(key))?.size).toBe(bytes.length);
    const downloaded = await buffer(await storage.getStream(key));
    expect(downloaded.length).toBe(bytes.length);
    expect(sha256(downloaded)).toBe(sha256(bytes));
    expect(await leftoverUploads()).toEqual([]);
  });

  it('uploads many parts byte for byte, in chunks that straddle the parts (their memory is used in turn)', async () => {
    const key = uniqueKey();
    const bytes = randomBytes(4 * PART_SIZE + 777);
    const put = await storage.putStream(key, chunked(bytes, 100_003));
    expect(put.size).toBe(bytes.length);

    const downloaded = await buffer(await storage.getStream(key));
    expect(sha256(downloaded)).toBe(sha256(bytes));
    expect(await leftoverUploads()).toEqual([]);
  });

  it('uploads a body of exactly one part size in one request', async () => {
    const key = uniqueKey();
    const bytes = randomBytes(PART_SIZE);
    expect((await storage.putStream(key, chunked(bytes))).size).toBe(PART_SIZE);
    expect(sha256(await buffer(await storage.getStream(key)))).toBe(sha256(bytes));
  });

  it('reads byte ranges (inclusive) and refuses ranges beyond the end', async () => {
    const key = uniqueKey();
    const bytes = randomBytes(1000);
    await storage.putStream(key, chunked(bytes, 100));

    expect(await buffer(await storage.getStream(key, { start: 0, end: 0 }))).toEqual(bytes.subarray(0, 1));
    expect(await buffer(await storage.getStream(key, { start: 10, end: 19 }))).toEqual(bytes.subarray(10, 20));
    expect(await buffer(await storage.getStream(key, { start: 999, end: 999 }))).toEqual(bytes.subarray(999));
    // An end past the object is clamped, as HTTP does.
    expect(await buffer(await storage.getStream(key, { start: 990, end: 5000 }))).toEqual(bytes.subarray(990));
    await expect(storage.getStream(key, { start: 1000, end: 1100 })).rejects.toBeInstanceOf(
      RangeNotSatisfiableException,
    );
    await expect(storage.getStream(key, { start: 5, end: 4 })).rejects.toBeInstanceOf(RangeError);
  });

  it('answers null for the stat of a missing object and ObjectNotFound for its bytes', async () => {
    const key = uniqueKey();
    expect(await storage.stat(key)).toBeNull();
    const failure = await storage.getStream(key).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ObjectNotFoundException);
    expect((failure as ObjectNotFoundException).code).toBe('OBJECT_NOT_FOUND');
    expect((failure as Error).message).not.toContain(key);
    expect((failure as Error).message).not.toContain(bucket);
  });

  it('removes objects idempotently', async () => {
    const key = uniqueKey();
    await storage.putStream(key, chunked(Buffer.from('to be removed')));
    await storage.remove(key);
    expect(await storage.stat(key)).toBeNull();
    await expect(storage.remove(key)).resolves.toBeUndefined();
    await expect(storage.remove(uniqueKey('never-existed'))).resolves.toBeUndefined();
  });

  it('lists objects by prefix across pages, in key order', async () => {
    const base = `list-${randomBytes(4).toString('hex')}`;
    const inside = ['a/1', 'a/2', 'a/3', 'a/sub/4', 'a/5'].map((name) => `${base}/${name}`);
    const outside = [`${base}/b/1`, `${base}/ab`];
    for (const key of [...inside, ...outside]) await storage.putStream(key, chunked(Buffer.from(key)));

    expect(await collect(storage.list(`${base}/a/`))).toEqual([...inside].sort());
    const all = [];
    for await (const item of storage.list(`${base}/`)) all.push(item);
    expect(all.map((item) => item.key)).toEqual([...inside, ...outside].sort());
    expect(all.find((item) => item.key === `${base}/ab`)).toMatchObject({ size: `${base}/ab`.length });
    expect(all[0].lastModified).toBeInstanceOf(Date);
    expect(await collect(storage.list(`${base}/nothing/`))).toEqual([]);
  });

  it('lists keys with characters that need encoding', async () => {
    const base = `odd-${randomBytes(4).toString('hex')}`;
    const keys = [`${base}/100% real+file name.txt`, `${base}/ünïcødé-名前`];
    for (const key of keys) await storage.putStream(key, chunked(Buffer.from(key)));
    expect(await collect(storage.list(`${base}/`))).toEqual([...keys].sort());
    for (const key of keys) expect(await buffer(await storage.getStream(key))).toEqual(Buffer.from(key));
  });

  it('presigns a download URL whose response carries the non-ASCII filename (RFC 6266 / 5987)', async () => {
    const key = uniqueKey();
    const bytes = randomBytes(2048);
    await storage.putStream(key, chunked(bytes));
    const filename = 'Résumé "final" 2024 — 日本語.pdf';

    const url = await storage.presignedGetUrl(key, { expirySeconds: 60, filename, contentType: 'application/pdf' });
    expect(url.startsWith(connection.endpoint)).toBe(true);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(bytes);
    expect(response.headers.get('content-type')).toBe('application/pdf');

    const disposition = response.headers.get('content-disposition')!;
    expect(disposition).toMatch(/^attachment; filename="[\x20-\x7e]+"; filename\*=UTF-8''[A-Za-z0-9%!#$&+\-.^_`|~]+$/);
    expect(disposition).toContain('filename="Resume _final_ 2024 _ ___.pdf"');
    const encoded = /filename\*=UTF-8''(.+)$/.exec(disposition)![1];
    expect(decodeURIComponent(encoded)).toBe(filename);

    const inlineOptions = { expirySeconds: 60, filename: 'plain.txt', contentType: 'text/plain', inline: true };
    const inline = await fetch(await storage.presignedGetUrl(key, inlineOptions));
    expect(inline.headers.get('content-disposition')).toBe('inline; filename="plain.txt"');
    await inline.arrayBuffer();

    // Active or unknown types never render inline from a URL we sign.
    for (const contentType of ['text/html', 'image/svg+xml', 'application/xml', 'text/xml; charset=utf-8', undefined]) {
      const active = await fetch(
        await storage.presignedGetUrl(key, { ...inlineOptions, filename: 'page.html', contentType }),
      );
      expect(active.headers.get('content-disposition')).toBe('attachment; filename="page.html"');
      await active.arrayBuffer();
    }

    // Control characters are dropped and a lone surrogate does not break encoding.
    const odd = await fetch(await storage.presignedGetUrl(key, { expirySeconds: 60, filename: 'a\r\nb\ud800.txt' }));
    expect(odd.headers.get('content-disposition')).toBe(
      `attachment; filename="ab_.txt"; filename*=UTF-8''ab%EF%BF%BD.txt`,
    );
    await odd.arrayBuffer();
  });

  it('signs presigned URLs for the public endpoint without a network call', async () => {
    const publicStorage = new MinioObjectStorage({
      ...connection,
      bucket,
      // Nothing listens there: signing must not need it.
      publicEndpoint: 'https://media.example.test',
    });
    try {
      const url = new URL(await publicStorage.presignedGetUrl('some/key', { expirySeconds: 300, filename: 'a.txt' }));
      expect(url.origin).toBe('https://media.example.test');
      expect(url.pathname).toBe(`/${bucket}/some/key`);
      expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
      expect(url.searchParams.get('response-content-disposition')).toBe('attachment; filename="a.txt"');
    } finally {
      publicStorage.onModuleDestroy();
    }
  });

  it('rejects with the body stream error, and leaves nothing behind, when the body fails before one part', async () => {
    const key = uniqueKey();
    const failure = new Error('client went away');
    await expect(storage.putStream(key, failingAfter(randomBytes(MiB), failure))).rejects.toBe(failure);
    expect(await storage.stat(key)).toBeNull();
  });

  it('rejects with the body stream error, aborts the multipart upload and leaves nothing behind', async () => {
    const key = uniqueKey();
    const failure = new Error('upload exceeds the size limit');
    await expect(storage.putStream(key, failingAfter(randomBytes(PART_SIZE * 2 + MiB), failure))).rejects.toBe(failure);
    expect(await storage.stat(key)).toBeNull();
    expect(await collect(storage.list(key))).toEqual([]);
    expect(await leftoverUploads()).toEqual([]);
  });

  it('keeps the previous object intact when an upload over it fails', async () => {
    const key = uniqueKey();
    const original = randomBytes(3 * MiB);
    await storage.putStream(key, chunked(original));
    const failure = new Error('aborted');
    await expect(storage.putStream(key, failingAfter(randomBytes(PART_SIZE + MiB), failure))).rejects.toBe(failure);
    await expect(storage.putStream(key, failingAfter(randomBytes(MiB), failure))).rejects.toBe(failure);
    expect(sha256(await buffer(await storage.getStream(key)))).toBe(sha256(original));
  });

  it('tolerates concurrent bucket creation and answers ping', async () => {
    const fresh = `mv-test-${randomBytes(6).toString('hex')}`;
    const instances = [1, 2, 3].map(() => new MinioObjectStorage({ ...connection, bucket: fresh }));
    try {
      await Promise.all(instances.map((instance) => instance.ensureBucket()));
      await Promise.all(instances.map((instance) => instance.ping()));
    } finally {
      instances.forEach((instance) => instance.onModuleDestroy());
      await rawClient().removeBucket(fresh);
    }
  });

  it('closes an idle kept-alive connection before the server does (which could race a request)', async () => {
    // A TCP relay in front of the server notes which side of each connection ends it first.
    const closedBy: string[] = [];
    const target = new URL(connection.endpoint);
    const relay: Server = createServer((client) => {
      const upstream = connect(Number(target.port), target.hostname);
      let ended: string | undefined;
      const end = (side: string) => () => {
        ended ??= side;
        if (ended === side) closedBy.push(side);
        client.destroy();
        upstream.destroy();
      };
      client.on('end', end('client')).on('error', end('client'));
      upstream.on('end', end('server')).on('error', end('server'));
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const relayed = new MinioObjectStorage({
      ...connection,
      endpoint: `http://127.0.0.1:${(relay.address() as { port: number }).port}`,
      bucket,
    });
    try {
      const key = `idle-${randomBytes(4).toString('hex')}`;
      await storage.putStream(key, chunked(Buffer.from('idle')));
      expect((await buffer(await relayed.getStream(key))).toString()).toBe('idle');
      // Node's http servers (the embedded S3 server among them) drop an idle connection after 5 s.
      await new Promise((resolve) => setTimeout(resolve, 4_600));
      expect(closedBy).toEqual(['client']);
    } finally {
      relayed.onModuleDestroy();
      await new Promise((resolve) => relay.close(resolve));
    }
  });

  it('reports StorageUnavailable (without bucket or key) when ping finds no bucket', async () => {
    const missing = new MinioObjectStorage({ ...connection, bucket: `mv-missing-${randomBytes(6).toString('hex')}` });
    try {
      await expect(missing.ping()).rejects.toBeInstanceOf(StorageUnavailableException);
    } finally {
      missing.onModuleDestroy();
    }
  });
});

describe('StorageModule', () => {
  it('provides the ObjectStorage port from the storage configuration and creates the bucket at start-up', async () => {
    const moduleBucket = `mv-test-${randomBytes(6).toString('hex')}`;
    const saved = { ...process.env };
    Object.assign(process.env, {
      S3_ENDPOINT: connection.endpoint,
      S3_ACCESS_KEY: connection.accessKey,
      S3_SECRET_KEY: connection.secretKey,
      S3_REGION: connection.region,
      S3_BUCKET: moduleBucket,
    });
    try {
      const moduleRef = await Test.createTestingModule({
        imports: [ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [storageConfig] }), StorageModule],
      }).compile();
      const app = await moduleRef.init();
      const port = app.get(ObjectStorage);
      expect(port).toBeInstanceOf(MinioObjectStorage);
      await port.ping();
      expect(await rawClient().bucketExists(moduleBucket)).toBe(true);
      await app.close();
    } finally {
      process.env = saved;
      await rawClient()
        .removeBucket(moduleBucket)
        .catch(() => undefined);
    }
  });
});

describe('MinioObjectStorage when the server is gone', () => {
  let scratch: string;
  let server: EmbeddedS3;
  let doomed: MinioObjectStorage;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'mv-storage-down-'));
    server = await startEmbeddedS3({ directory: scratch });
    doomed = new MinioObjectStorage({ ...server, bucket: 'doomed', partSize: PART_SIZE });
    await doomed.onModuleInit();
    await doomed.putStream('kept', chunked(Buffer.from('kept')));
    await server.stop();
  });

  afterAll(async () => {
    doomed.onModuleDestroy();
    await rm(scratch, { recursive: true, force: true });
  });

  it.each([
    ['ping', () => doomed.ping()],
    ['ensureBucket', () => doomed.ensureBucket()],
    ['stat', () => doomed.stat('kept')],
    ['getStream', () => doomed.getStream('kept')],
    ['remove', () => doomed.remove('kept')],
    ['list', () => collect(doomed.list())],
    ['putStream (small)', () => doomed.putStream('new', chunked(randomBytes(1000)))],
    ['putStream (multipart)', () => doomed.putStream('new', chunked(randomBytes(PART_SIZE + 1000)))],
  ])('%s rejects with StorageUnavailableException', async (_name, call) => {
    const failure = await call().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(StorageUnavailableException);
    expect((failure as StorageUnavailableException).code).toBe('STORAGE_UNAVAILABLE');
    expect((failure as Error).message).not.toMatch(/doomed|kept|new|127\.0\.0\.1/);
  });

  it('destroys the body when the store fails mid-upload', async () => {
    const body = chunked(randomBytes(PART_SIZE + 1000));
    await expect(doomed.putStream('new', body)).rejects.toBeInstanceOf(StorageUnavailableException);
    expect(body.destroyed).toBe(true);
  });

  it('gives up on a server that accepts connections but never answers', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const hanging = new MinioObjectStorage({
      ...server,
      endpoint: `http://127.0.0.1:${port}`,
      bucket: 'hanging',
      idleTimeoutMs: 300,
    });
    try {
      const started = Date.now();
      await expect(hanging.ping()).rejects.toBeInstanceOf(StorageUnavailableException);
      await expect(hanging.stat('x')).rejects.toBeInstanceOf(StorageUnavailableException);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      hanging.onModuleDestroy();
      sockets.forEach((socket) => socket.destroy());
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
