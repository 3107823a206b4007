/**
 * Uploads as browsers send them: one request per file, many in a row. The defaults limit what protects the server
 * (uploads in progress per user, bytes per minute), not the number of requests.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Environment } from '../../src/config/environment.js';
import { RateLimiter } from '../../src/http/rate-limit.js';
import { useTestApp, type TestApp } from '../support/app.js';
import { content } from '../support/files.js';

/** The production defaults of the upload limits (the test harness turns some of them off). */
const defaults = new Environment();
const DEFAULT_LIMITS = {
  UPLOAD_RATE_LIMIT: String(defaults.UPLOAD_RATE_LIMIT),
  UPLOAD_CONCURRENCY_PER_USER: String(defaults.UPLOAD_CONCURRENCY_PER_USER),
  UPLOAD_BYTES_PER_MINUTE: String(defaults.UPLOAD_BYTES_PER_MINUTE),
};
const BOUNDARY = 'mediavault-held-upload';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

function expectTooMany(response: Answer) {
  expect(response.status).toBe(429);
  expect(response.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests', code: 'TOO_MANY_REQUESTS' });
  expect(typeof response.body.message).toBe('string');
  expect(response.body.requestId).toBe(response.headers['x-request-id']);
  expect(response.body.details).toMatchObject({ retryAfterSeconds: Number(response.headers['retry-after']) });
}

/** An upload whose body has begun but not ended: it holds its place until `finish` sends the rest. */
function holdUpload(t: TestApp, auth: string) {
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  const request = http.request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/api/uploads',
    headers: { Authorization: auth, 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}` },
  });
  const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body: Buffer.concat(chunks).toString() }));
    });
    request.on('error', reject);
  });
  request.write(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="held.txt"\r\n` +
      'Content-Type: text/plain\r\n\r\n',
  );
  return {
    finish: () => {
      request.end(`${content().toString()}\r\n--${BOUNDARY}--\r\n`);
      return answered;
    },
  };
}

function uploadAs(t: TestApp, auth: string, bytes: Buffer, filename: string) {
  return t.http.post('/api/uploads').set('Authorization', auth).attach('files', bytes, filename);
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('upload limits with the default settings', () => {
  const t = useTestApp({ listen: true, env: DEFAULT_LIMITS });

  it('lets one member upload 200 small files one request each, in a row', async () => {
    const member = await t.createUser('member');
    const statuses: number[] = [];
    for (let index = 0; index < 200; index += 1) {
      const response = await t.http
        .post('/api/uploads')
        .set('Authorization', member.auth)
        .attach('files', content(), `photo-${index}.txt`);
      statuses.push(response.status);
    }
    expect(statuses.filter((status) => status !== 201)).toEqual([]);
    const pending = await t.http.get('/api/pending').set('Authorization', member.auth).expect(200);
    expect(pending.body.count).toBe(200);
  });

  const beyond = `refuses an upload beyond ${defaults.UPLOAD_CONCURRENCY_PER_USER} in progress for one user (429)`;
  it(`${beyond}, not for others`, async () => {
    const member = await t.createUser('member');
    const other = await t.createUser('member');
    const limiter = t.get(RateLimiter);
    const held = Array.from({ length: defaults.UPLOAD_CONCURRENCY_PER_USER }, () => holdUpload(t, member.auth));
    await until(() => limiter.active(`upload|user:${member.id}`) === held.length);

    const refused = await uploadAs(t, member.auth, content(), 'x.txt');
    expectTooMany(refused);
    expect(refused.body.details).toMatchObject({ maxConcurrentUploads: defaults.UPLOAD_CONCURRENCY_PER_USER });
    const others = await uploadAs(t, other.auth, content(), 'y.txt');
    expect(others.status).toBe(201);

    const answers = await Promise.all(held.map((upload) => upload.finish()));
    expect(answers.map((answer) => answer.status)).toEqual(held.map(() => 201));
    await until(() => limiter.active(`upload|user:${member.id}`) === 0);
    const after = await uploadAs(t, member.auth, content(), 'z.txt');
    expect(after.status).toBe(201);
  });
});

describe('upload limits: bytes per minute', () => {
  const t = useTestApp({ env: { UPLOAD_BYTES_PER_MINUTE: '4096' } });

  it('refuses new uploads once a user sent a minute of bytes, never cutting one; others upload', async () => {
    const member = await t.createUser('member');
    const other = await t.createUser('member');
    const big = Buffer.concat([content(), Buffer.alloc(5000, 'a')]);
    // One upload over the whole budget still goes through: the budget decides admission, not the bytes in flight.
    const first = await uploadAs(t, member.auth, big, 'big.txt');
    expect(first.status).toBe(201);
    const refused = await uploadAs(t, member.auth, content(), 'a.txt');
    expectTooMany(refused);
    expect(refused.body.details).toMatchObject({ bytesPerMinute: 4096 });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    const others = await uploadAs(t, other.auth, content(), 'b.txt');
    expect(others.status).toBe(201);
  });

  it('counts a content replacement (PUT /api/files/:id/content) in the same budget', async () => {
    const member = await t.createUser('member');
    const uploaded = await uploadAs(t, member.auth, Buffer.concat([content(), Buffer.alloc(5000, 'b')]), 'c.txt');
    const admin = await t.adminAuth();
    const approved = await t.http
      .post(`/api/pending/${uploaded.body.results[0].pendingFile.id}/approve`)
      .set('Authorization', admin)
      .send({ title: 'Budgeted' })
      .expect(201);
    const refused = await t.http
      .put(`/api/files/${approved.body.mediaFile.id}/content`)
      .set('Authorization', member.auth)
      .attach('file', content(), 'next.txt');
    expectTooMany(refused);
  });
});
