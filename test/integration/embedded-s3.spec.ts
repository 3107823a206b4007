import { Client } from 'minio';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { startEmbeddedS3, type EmbeddedS3 } from '../../src/embedded/embedded-s3.js';

/** The embedded S3 server on its own, driven by the plain minio client and by raw HTTP. */
const MiB = 1024 * 1024;

let directory: string;
let server: EmbeddedS3;
let client: Client;
const bucket = 'embedded-spec';

function clientFor(s3: EmbeddedS3, options: { partSize?: number } = {}): Client {
  const url = new URL(s3.endpoint);
  return new Client({
    endPoint: url.hostname,
    port: Number(url.port),
    useSSL: false,
    accessKey: s3.accessKey,
    secretKey: s3.secretKey,
    region: s3.region,
    ...options,
  });
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'mv-embedded-s3-'));
  server = await startEmbeddedS3({ directory });
  client = clientFor(server, { partSize: 5 * MiB });
  await client.makeBucket(bucket);
});

afterAll(async () => {
  await server?.stop();
  await rm(directory, { recursive: true, force: true });
});

describe('startEmbeddedS3', () => {
  it('listens on a random loopback port with credentials generated for its directory (kept there, 0600)', async () => {
    expect(server.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.region).toBe('us-east-1');
    expect(server.accessKey).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(server.secretKey).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect([server.accessKey, server.secretKey]).not.toContain('S3RVER');
    const file = join(directory, '.credentials.json');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      accessKey: server.accessKey,
      secretKey: server.secretKey,
    });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it("refuses s3rver's public built-in credentials", async () => {
    const intruder = new Client({ ...clientOptions(), accessKey: 'S3RVER', secretKey: 'S3RVER' });
    await expect(intruder.getObject(bucket, 'secret')).rejects.toMatchObject({ code: 'InvalidAccessKeyId' });
    await expect(intruder.listBuckets()).rejects.toMatchObject({ code: 'InvalidAccessKeyId' });
  });

  it('the test run itself uses generated credentials', () => {
    expect(process.env.S3_ACCESS_KEY).toBeDefined();
    expect([process.env.S3_ACCESS_KEY, process.env.S3_SECRET_KEY]).not.toContain('S3RVER');
  });

  it('refuses to listen beyond loopback', async () => {
    await expect(startEmbeddedS3({ directory, host: '0.0.0.0' })).rejects.toThrow(/loopback/);
  });

  it("supports the minio client's multipart upload (ListMultipartUploads answered, nothing to resume)", async () => {
    const bytes = randomBytes(11 * MiB);
    // No length given: the minio client lists incomplete uploads, then uploads parts.
    await client.putObject(
      bucket,
      'minio-multipart',
      Readable.from([bytes.subarray(0, 6 * MiB), bytes.subarray(6 * MiB)]),
    );
    const stored = await buffer(await client.getObject(bucket, 'minio-multipart'));
    expect(createHash('sha256').update(stored).digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));

    const uploads: unknown[] = [];
    for await (const upload of client.listIncompleteUploads(bucket, '', true)) uploads.push(upload);
    expect(uploads).toEqual([]);
  });

  it('aborts a multipart upload, leaving no parts and no object', async () => {
    const uploadId = await client.initiateNewMultipartUpload(bucket, 'abandoned', {});
    await client.uploadPart(
      { bucketName: bucket, objectName: 'abandoned', uploadID: uploadId, partNumber: 1, headers: {} },
      randomBytes(1000),
    );
    expect(await readdir(join(directory, bucket, '._S3rver_uploads'))).toContain(uploadId);
    await client.abortMultipartUpload(bucket, 'abandoned', uploadId);
    expect(await readdir(join(directory, bucket, '._S3rver_uploads'))).not.toContain(uploadId);
    await expect(client.statObject(bucket, 'abandoned')).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('copies objects', async () => {
    await client.putObject(bucket, 'original', Buffer.from('copy me'), 7, { 'Content-Type': 'text/plain' });
    await client.copyObject(bucket, 'copied', `/${bucket}/original`);
    expect((await buffer(await client.getObject(bucket, 'copied'))).toString()).toBe('copy me');
  });

  it('serves single, first-byte and suffix ranges correctly', async () => {
    const bytes = randomBytes(100);
    await client.putObject(bucket, 'ranged', bytes);
    const url = await client.presignedGetObject(bucket, 'ranged', 60);
    const get = async (range: string) => {
      const response = await fetch(url, { headers: { Range: range } });
      return {
        status: response.status,
        body: Buffer.from(await response.arrayBuffer()),
        range: response.headers.get('content-range'),
      };
    };

    expect(await get('bytes=0-0')).toEqual({ status: 206, body: bytes.subarray(0, 1), range: 'bytes 0-0/100' });
    expect(await get('bytes=10-19')).toEqual({ status: 206, body: bytes.subarray(10, 20), range: 'bytes 10-19/100' });
    expect(await get('bytes=-3')).toEqual({ status: 206, body: bytes.subarray(97), range: 'bytes 97-99/100' });
    expect(await get('bytes=95-')).toEqual({ status: 206, body: bytes.subarray(95), range: 'bytes 95-99/100' });
    expect((await get('bytes=100-')).status).toBe(416);
    // Multiple or malformed ranges are ignored: the whole object.
    expect(await get('bytes=0-1,5-6')).toMatchObject({ status: 200, body: bytes });
  });

  it('answers presigned GETs with the requested Content-Disposition and Content-Type', async () => {
    await client.putObject(bucket, 'doc', Buffer.from('%PDF-'));
    const disposition = 'attachment; filename="a.pdf"; filename*=UTF-8\'\'%C3%A9t%C3%A9.pdf';
    const url = await client.presignedGetObject(bucket, 'doc', 60, {
      'response-content-disposition': disposition,
      'response-content-type': 'application/pdf',
    });
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe(disposition);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(await response.text()).toBe('%PDF-');
  });

  it('tells browsers not to sniff what it serves (a text/plain object is never run as HTML)', async () => {
    await client.putObject(bucket, 'note.txt', Buffer.from('<script>alert(1)</script>'), 25, {
      'Content-Type': 'text/plain',
    });
    const response = await fetch(await client.presignedGetObject(bucket, 'note.txt', 60));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const refused = await fetch(`${server.endpoint}/${bucket}/note.txt`);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('x-content-type-options')).toBe('nosniff');
  });

  describe('refuses requests it cannot authenticate', () => {
    beforeAll(async () => {
      await client.putObject(bucket, 'secret', Buffer.from('secret'));
    });

    it('anonymous reads and writes', async () => {
      expect((await fetch(`${server.endpoint}/${bucket}/secret`)).status).toBe(403);
      expect((await fetch(`${server.endpoint}/${bucket}/planted`, { method: 'PUT', body: 'x' })).status).toBe(403);
      expect((await fetch(`${server.endpoint}/${bucket}`, { method: 'DELETE' })).status).toBe(403);
      await expect(client.statObject(bucket, 'planted')).rejects.toMatchObject({ code: 'NotFound' });
    });

    it('tampered and expired presigned URLs', async () => {
      const url = new URL(await client.presignedGetObject(bucket, 'secret', 60));
      url.pathname = `/${bucket}/doc`;
      expect((await fetch(url)).status).toBe(403);

      const signature = new URL(await client.presignedGetObject(bucket, 'secret', 60));
      signature.searchParams.set('X-Amz-Signature', '0'.repeat(64));
      expect((await fetch(signature)).status).toBe(403);

      const expired = await client.presignedGetObject(bucket, 'secret', 1, {}, new Date(Date.now() - 10_000));
      expect((await fetch(expired)).status).toBe(403);
    });

    it('wrong credentials', async () => {
      const intruder = new Client({ ...clientOptions(), secretKey: 'not-the-secret' });
      await expect(intruder.getObject(bucket, 'secret')).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
      await expect(intruder.putObject(bucket, 'planted', Buffer.from('x'))).rejects.toMatchObject({
        code: 'SignatureDoesNotMatch',
      });
    });

    it('paths that would leave the data directory', async () => {
      // Raw HTTP: fetch() would normalise the dot segments away before sending.
      for (const path of [
        '/..',
        '/%2E%2E/x',
        `/${bucket}/..%2F..%2Fescape`,
        `/${bucket}/a/../../b`,
        '/..?list-type=2',
      ]) {
        expect(await rawStatus('DELETE', path)).toBe(400);
      }
    });
  });

  it('keeps objects across a stop and a start on the same directory', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'mv-embedded-restart-'));
    try {
      const first = await startEmbeddedS3({ directory: scratch });
      const firstClient = clientFor(first);
      await firstClient.makeBucket('persisted');
      await firstClient.putObject('persisted', 'a/b/c.txt', Buffer.from('still here'));
      await first.stop();
      await expect(fetch(`${first.endpoint}/`)).rejects.toThrow();

      const second = await startEmbeddedS3({ directory: scratch });
      try {
        expect({ accessKey: second.accessKey, secretKey: second.secretKey }).toEqual({
          accessKey: first.accessKey,
          secretKey: first.secretKey,
        });
        expect(second.accessKey).not.toBe(server.accessKey); // another directory, another pair
        const secondClient = clientFor(second);
        expect((await buffer(await secondClient.getObject('persisted', 'a/b/c.txt'))).toString()).toBe('still here');
        expect((await secondClient.listBuckets()).map((b) => b.name)).toEqual(['persisted']);
      } finally {
        await second.stop();
      }
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });

  it('stops while a client still holds a keep-alive connection', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'mv-embedded-stop-'));
    try {
      const s3 = await startEmbeddedS3({ directory: scratch });
      await clientFor(s3).makeBucket('busy');
      const started = Date.now();
      await s3.stop();
      await s3.stop(); // idempotent
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});

function rawStatus(method: string, path: string): Promise<number> {
  const url = new URL(server.endpoint);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: url.hostname, port: url.port, method, path }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject).end();
  });
}

function clientOptions() {
  const url = new URL(server.endpoint);
  return {
    endPoint: url.hostname,
    port: Number(url.port),
    useSSL: false,
    accessKey: server.accessKey,
    secretKey: server.secretKey,
    region: server.region,
  };
}
