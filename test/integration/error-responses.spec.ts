/**
 * every kind of error answers the contract's one error shape
 * `{statusCode, error, code, message, details?}` with the right status, and nothing internal (stack, SQL, bucket,
 * storage key) ever reaches the client.
 */
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { connect, type AddressInfo } from 'node:net';
import { QueryFailedError } from 'typeorm';
import { UsersService } from '../../src/auth/users.service.js';
import { useTestApp } from '../support/app.js';

type HttpResponse = { status: number; body: Record<string, unknown>; headers: Record<string, string> };

const ERROR_BODY_KEYS = new Set(['statusCode', 'error', 'code', 'message', 'details', 'requestId']);

function expectError(response: HttpResponse, status: number, code: string): void {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  expect(response.body).toMatchObject({
    statusCode: status,
    code,
    error: expect.any(String),
    message: expect.any(String),
  });
  for (const key of Object.keys(response.body)) expect(ERROR_BODY_KEYS).toContain(key);
  // The whole shape, every time: details is an object (possibly empty), never missing.
  expect(Object.keys(response.body).sort()).toEqual([...ERROR_BODY_KEYS].sort());
  expect(response.body.details).toEqual(expect.any(Object));
  expect(Array.isArray(response.body.details)).toBe(false);
  // The request id in the body is the one in the header, so a user's report can be matched with the server log.
  expect(response.body.requestId).toBe(response.headers['x-request-id']);
}

/** Nothing that helps an attacker or confuses a user: stack frames, file paths, SQL, driver or bucket details. */
function expectNothingInternal(response: HttpResponse, ...secrets: string[]): void {
  const text = JSON.stringify(response.body);
  expect(text).not.toMatch(/\bat \S+ \(|\.ts:\d+|\.js:\d+|node_modules|\/work\//);
  expect(text).not.toMatch(/SELECT|INSERT|UPDATE|DELETE FROM|relation "|constraint/i);
  expect(text).not.toMatch(/mv-test-|stack/i);
  for (const secret of secrets) expect(text).not.toContain(secret);
}

/** The filter logs every 5xx with its stack; keep that out of the test output (and let a test look at it). */
function silenceErrorLog() {
  return jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
}

describe('error responses in the contract shape', () => {
  let admin: string;

  const t = useTestApp();

  beforeAll(async () => {
    admin = await t.adminAuth();
  });
  afterEach(() => jest.restoreAllMocks());

  it('validation: 400 VALIDATION_FAILED with details.fields naming each offending field', async () => {
    const response = await t.http
      .post('/api/users')
      .set('Authorization', admin)
      .send({ email: 'nope', password: 1, role: 'owner', unexpected: true });
    expectError(response, 400, 'VALIDATION_FAILED');
    const fields = response.body.details as { fields: Array<{ field: string; errors: string[] }> };
    expect(fields.fields.map(({ field }) => field).sort()).toEqual(['email', 'password', 'role', 'unexpected']);
    for (const field of fields.fields) expect(field.errors.length).toBeGreaterThan(0);
  });

  it('a page too large for an offset: 400 VALIDATION_FAILED naming page (fuzz spec, seed 408550749)', async () => {
    for (const path of ['/api/users', '/api/files', '/api/tags', '/api/trash', '/api/pending']) {
      for (const page of ['99999999999999999999', '10000001']) {
        const response = await t.http.get(path).query({ page }).set('Authorization', admin);
        expectError(response, 400, 'VALIDATION_FAILED');
        expect(JSON.stringify(response.body.details)).toContain('page');
      }
    }
    expect((await t.http.get('/api/files').query({ page: 10_000_000 }).set('Authorization', admin)).status).toBe(200);
  });

  it('JSON nested 10,000 deep: 400 BAD_REQUEST naming the limit, anonymously too (stack overflow: a 500)', async () => {
    const deep = `{"email":"a@b.c","password":"x","extra":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    const login = await t.http.post('/api/auth/login').set('Content-Type', 'application/json').send(deep);
    expectError(login, 400, 'BAD_REQUEST');
    expect(login.body.details).toEqual({ maxDepth: 32 });
    const collection = `{"title":"deep","description":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`;
    const created = await t.http
      .post('/api/collections')
      .set('Authorization', admin)
      .set('Content-Type', 'application/json')
      .send(collection);
    expectError(created, 400, 'BAD_REQUEST');
    // Brackets inside strings are text, not nesting.
    const bracketsInText = await t.http
      .post('/api/auth/login')
      .send({ email: '['.repeat(300), password: '{'.repeat(300) });
    expectError(bracketsInText, 401, 'INVALID_CREDENTIALS');
  });

  it("numbers beyond their column's range: 400 VALIDATION_FAILED naming the field, not a 500", async () => {
    for (const [field, value] of [
      ['minSize', '99999999999999999999999'],
      ['maxSize', '9223372036854775807'],
      ['maxSize', '9007199254740992'],
      ['minSize', '1e400'],
    ]) {
      const response = await t.http
        .get('/api/files')
        .query({ [field]: value })
        .set('Authorization', admin);
      expectError(response, 400, 'VALIDATION_FAILED');
      expect(response.body.details).toEqual({ fields: [{ field, errors: expect.any(Array) }] });
    }
    const largest = await t.http
      .get('/api/files')
      .query({ maxSize: String(Number.MAX_SAFE_INTEGER) })
      .set('Authorization', admin);
    expect(largest.status).toBe(200);
  });

  it('a validly signed token whose sub is not a user id: 401 UNAUTHORIZED, not a 500', async () => {
    const jwt = t.get(JwtService);
    for (const sub of ['not-a-uuid', "1' OR '1'='1", '']) {
      const token = await jwt.signAsync({ sub });
      expectError(await t.http.get('/api/auth/me').set('Authorization', `Bearer ${token}`), 401, 'UNAUTHORIZED');
    }
    // Anonymous routes too: a bad token is refused, not ignored.
    const token = await jwt.signAsync({ sub: 'not-a-uuid' });
    expectError(await t.http.get('/api/files').set('Authorization', `Bearer ${token}`), 401, 'UNAUTHORIZED');
  });

  it('a NUL character anywhere in the input: 400 VALIDATION_FAILED naming the field, nothing written', async () => {
    // PostgreSQL text cannot hold U+0000; the fuzz spec once reached the database with one (a 500).
    const body = await t.http
      .post('/api/collections')
      .set('Authorization', admin)
      .send({ title: 'Holiday', description: 'a\u0000b' });
    expect(body.status).toBe(400);
    expect(body.body).toMatchObject({ code: 'VALIDATION_FAILED', details: { fields: [{ field: 'description' }] } });
    const query = await t.http.get('/api/files').query({ q: 'x\u0000y' }).set('Authorization', admin);
    expect(query.status).toBe(400);
    expect(query.body).toMatchObject({ code: 'VALIDATION_FAILED', details: { fields: [{ field: 'q' }] } });
    const listed = await t.http.get('/api/collections').set('Authorization', admin);
    expect(listed.body.results.map((c: { title: string }) => c.title)).not.toContain('Holiday');
  });

  it('unknown route: 404 ROUTE_NOT_FOUND, with or without a token, for any method', async () => {
    expectError(await t.http.get('/api/does-not-exist'), 404, 'ROUTE_NOT_FOUND');
    expectError(await t.http.get('/api/does-not-exist').set('Authorization', admin), 404, 'ROUTE_NOT_FOUND');
    expectError(await t.http.delete('/api/auth/me').set('Authorization', admin), 404, 'ROUTE_NOT_FOUND');
    expectError(await t.http.get('/outside-the-prefix'), 404, 'ROUTE_NOT_FOUND');
    expectError(await t.http.post('/').send({}), 404, 'ROUTE_NOT_FOUND');
    // The OpenAPI document is under the prefix and still served.
    expect((await t.http.get('/api/docs-json')).status).toBe(200);
  });

  it('malformed JSON: 400 MALFORMED_JSON, without the parser message', async () => {
    const response = await t.http
      .post('/api/auth/login')
      .set('Content-Type', 'application/json')
      .send('{"email": "a@b", ');
    expectError(response, 400, 'MALFORMED_JSON');
    expectNothingInternal(response, 'Unexpected end', 'position');
  });

  it('payload too large: a JSON body over 1mb is 413 PAYLOAD_TOO_LARGE, even anonymously', async () => {
    const big = JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(1024 * 1024 + 1) });
    expectError(
      await t.http.post('/api/auth/login').set('Content-Type', 'application/json').send(big),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    expectError(
      await t.http.post('/api/users').set('Authorization', admin).set('Content-Type', 'application/json').send(big),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    // Just under the limit is parsed (and then refused by validation: the password is too long).
    const under = JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(1000 * 1000) });
    expectError(
      await t.http.post('/api/auth/login').set('Content-Type', 'application/json').send(under),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('payload too large by its Content-Length: 413 at once, before the body is read', async () => {
    // The JSON parser read (and threw away) a whole oversized body before answering: 10 GB declared, 10 GB read.
    // One byte of a 2 MB body is sent: only an answer that does not wait for the rest arrives.
    const response = await t.http
      .post('/api/auth/login')
      .set('Content-Type', 'application/json')
      .set('Content-Length', String(2 * 1024 * 1024))
      .timeout(10_000)
      .send('{');
    expectError(response, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('domain error: 409 EMAIL_TAKEN', async () => {
    const body = { email: 'dup@test.local', password: 'dup-password', role: 'member' };
    expect((await t.http.post('/api/users').set('Authorization', admin).send(body)).status).toBe(201);
    const response = await t.http.post('/api/users').set('Authorization', admin).send(body);
    expectError(response, 409, 'EMAIL_TAKEN');
    expect(response.body.error).toBe('Conflict');
    expectNothingInternal(response, 'users_email_lower_key', 'duplicate key');
  });

  it('authentication and authorisation: 401 UNAUTHORIZED and 403 FORBIDDEN', async () => {
    const member = await t.createUser('member');
    expectError(await t.http.get('/api/users'), 401, 'UNAUTHORIZED');
    expectError(await t.http.get('/api/users').set('Authorization', member.auth), 403, 'FORBIDDEN');
  });

  it('unexpected error: 500 INTERNAL with a generic message, no stack, no SQL, no message of the error', async () => {
    const secret = 'SELECT password_hash FROM users -- bucket mv-secret-bucket key objects/ab/cd';
    jest.spyOn(t.get(UsersService), 'list').mockRejectedValueOnce(new Error(secret));
    const log = silenceErrorLog();
    const response = await t.http.get('/api/users').set('Authorization', admin);
    expectError(response, 500, 'INTERNAL');
    // The details stay on the server, under the request id the client got.
    expect(log).toHaveBeenCalledWith(
      expect.objectContaining({ requestId: response.body.requestId }),
      expect.stringContaining(secret),
    );
    expect(response.body.error).toBe('Internal Server Error');
    expectNothingInternal(response, secret, 'mv-secret-bucket', 'objects/ab/cd');
  });

  it('a failed query: 500 INTERNAL without the SQL, its parameters or the driver message', async () => {
    const failure = new QueryFailedError(
      'SELECT * FROM "users" WHERE "id" = $1',
      ['leaked-parameter'],
      new Error('column "x" does not exist'),
    );
    jest.spyOn(t.get(UsersService), 'list').mockRejectedValueOnce(failure);
    silenceErrorLog();
    const response = await t.http.get('/api/users').set('Authorization', admin);
    expectError(response, 500, 'INTERNAL');
    expectNothingInternal(response, 'leaked-parameter', 'column "x"');
  });

  it('a database that cannot be reached: 503 DATABASE_UNAVAILABLE, so clients retry', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' });
    jest.spyOn(t.get(UsersService), 'list').mockRejectedValueOnce(refused);
    silenceErrorLog();
    const response = await t.http.get('/api/users').set('Authorization', admin);
    expectError(response, 503, 'DATABASE_UNAVAILABLE');
    expectNothingInternal(response, '10.0.0.5', 'ECONNREFUSED');
  });

  it('malformed UUID in a path: 400; an unknown one: 404', async () => {
    const malformed = await t.http.get('/api/pending/not-a-uuid').set('Authorization', admin);
    expectError(malformed, 400, malformed.body.code as string);
    expect(malformed.body).toMatchObject({ code: 'VALIDATION_FAILED', details: { fields: [{ field: 'id' }] } });
    expectError(
      await t.http.post('/api/trash/12345/restore').set('Authorization', admin),
      400,
      malformed.body.code as string,
    );
    const unknown = await t.http.get('/api/pending/00000000-0000-4000-8000-000000000000').set('Authorization', admin);
    expectError(unknown, 404, 'NOT_FOUND');
  });

  /** Sends `request` on a socket of its own and answers the response as `expectError` reads it. */
  async function rawErrorExchange(request: string) {
    const server = t.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const [head, body] = (await rawExchange(port, request)).split('\r\n\r\n');
      const headers = Object.fromEntries(
        head
          .split('\r\n')
          .slice(1)
          .map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1]);
      return { status, body: JSON.parse(body || 'null') as Record<string, unknown>, headers };
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  it('headers too large: 431 REQUEST_HEADERS_TOO_LARGE with the whole error body, not an empty one', async () => {
    const response = await rawErrorExchange(
      `GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expectError(response, 431, 'REQUEST_HEADERS_TOO_LARGE');
  });

  it('an expectation other than 100-continue: 417 EXPECTATION_FAILED with the whole error body', async () => {
    // Node answers it itself, before Nest, with an empty body.
    const response = await rawErrorExchange(
      'POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n' +
        'Expect: something-else\r\n\r\n{}',
    );
    expectError(response, 417, 'EXPECTATION_FAILED');
  });

  it('keeps a sane X-Request-Id sent by the caller and replaces an unsafe one', async () => {
    const kept = await t.http.get('/api/nowhere').set('X-Request-Id', 'trace-abc.123');
    expect(kept.headers['x-request-id']).toBe('trace-abc.123');
    expect(kept.body.requestId).toBe('trace-abc.123');
    const replaced = await t.http.get('/api/nowhere').set('X-Request-Id', '<script>');
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

/** Sends `request` as it is and answers everything the server wrote until it closed the connection. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}
