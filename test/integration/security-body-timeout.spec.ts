/**
 * Request bodies that trickle in are cut (408, connection closed, an upload's claim released); a slow but moving
 * upload is not. REQUEST_BODY_TIMEOUT_SECONDS=1 and REQUEST_BODY_MIN_BYTES=1024 keep the spec short.
 */
import { randomBytes } from 'node:crypto';
import { connect, type AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { useTestApp } from '../support/app.js';
import { expectInvariants } from '../support/invariants.js';

interface Exchange {
  status: number;
  body: Record<string, unknown>;
  /** Whether the server closed the connection while the client still had bytes to send. */
  cutShort: boolean;
  /** Whether the client closed the connection itself after GIVE_UP_MS: the server never did. */
  gaveUp: boolean;
}

/** How long a client keeps sending before it gives up itself (an answer of status 0: the server never cut it). */
const GIVE_UP_MS = 10_000;

/**
 * Sends `head`, then `body` in `chunkSize` pieces every `intervalMs`; answers what the server said once it closed
 * the connection (or once everything was sent and the answer came).
 */
function send(port: number, head: string, body: Buffer, chunkSize: number, intervalMs: number): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const received: Buffer[] = [];
    let offset = 0;
    let timer: NodeJS.Timeout | undefined;
    let gaveUp = false;
    const giveUp = setTimeout(() => {
      gaveUp = true;
      socket.destroy();
    }, GIVE_UP_MS);
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (offset >= body.length || socket.destroyed) return clearInterval(timer);
        socket.write(body.subarray(offset, offset + chunkSize));
        offset += chunkSize;
      }, intervalMs);
    });
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', () => undefined); // EPIPE / ECONNRESET once the server has closed: expected here.
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      const text = Buffer.concat(received).toString('utf8');
      if (text === '') return resolve({ status: 0, body: {}, cutShort: offset < body.length, gaveUp });
      const match = /^HTTP\/1\.1 (\d{3})[^]*?\r\n\r\n([^]*)$/.exec(text);
      if (!match) return reject(new Error(`no HTTP answer: ${JSON.stringify(text.slice(0, 200))}`));
      const bodyText = match[2];
      resolve({
        status: Number(match[1]),
        body: bodyText ? (JSON.parse(bodyText) as Record<string, unknown>) : {},
        cutShort: offset < body.length,
        gaveUp,
      });
    });
    // The server answers a completed request and keeps the connection: close it ourselves once answered.
    socket.on('data', () => {
      if (offset >= body.length) setTimeout(() => socket.end(), 200);
    });
  });
}

function multipartUpload(auth: string, fileBytes: Buffer) {
  const boundary = `----mv${randomBytes(8).toString('hex')}`;
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="slow.bin"\r\n\r\n`),
    fileBytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const head =
    'POST /api/uploads HTTP/1.1\r\nHost: test\r\n' +
    `Authorization: ${auth}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\n` +
    `Content-Length: ${body.length}\r\n\r\n`;
  return { head, body };
}

describe('security: request bodies that trickle in', () => {
  const t = useTestApp({
    listen: true,
    env: { REQUEST_BODY_TIMEOUT_SECONDS: '1', REQUEST_BODY_MIN_BYTES: '1024', ORPHAN_GRACE_MINUTES: '0' },
  });
  let port: number;
  let member: string;

  beforeAll(async () => {
    port = (t.app.getHttpServer().address() as AddressInfo).port;
    member = (await t.createUser('member')).auth;
  });

  it('cuts a login body sent a byte at a time: 408 REQUEST_TIMEOUT, connection closed', async () => {
    const body = Buffer.from(JSON.stringify({ email: 'someone@example.com', password: 'x'.repeat(60) }));
    const head =
      'POST /api/auth/login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${body.length}\r\n\r\n`;
    const answer = await send(port, head, body, 1, 250);
    expect(answer).toMatchObject({
      status: 408,
      cutShort: true,
      body: { code: 'REQUEST_TIMEOUT', details: { minBytes: 1024 } },
    });
  });

  it('cuts an upload that stalls mid-file and releases its claim', async () => {
    const { head, body } = multipartUpload(member, randomBytes(50_000));
    // 2 KiB arrive at once, then a byte every 250 ms.
    const answer = await send(port, head + body.subarray(0, 2048).toString('latin1'), body.subarray(2048), 1, 250);
    expect(answer).toMatchObject({ status: 408, cutShort: true, body: { code: 'REQUEST_TIMEOUT' } });
    const claims = async () =>
      Number((await t.get(DataSource).query('SELECT count(*) AS n FROM upload_sessions'))[0].n);
    for (let attempt = 0; attempt < 100 && (await claims()) > 0; attempt++) await new Promise((r) => setTimeout(r, 50));
    expect(await claims()).toBe(0);
    await expectInvariants(t);
  });

  it('closes the connection of a request answered early (401) whose body keeps trickling in', async () => {
    // Node reads the rest of an answered request's body to keep the connection: that reading must not last forever.
    const { head, body } = multipartUpload('Bearer not-a-token', randomBytes(50_000));
    const answer = await send(port, head, body, 1, 250);
    expect(answer).toMatchObject({ status: 401, cutShort: true, gaveUp: false, body: { code: 'UNAUTHORIZED' } });
  });

  it('lets a slow but moving upload finish, however long it takes overall', async () => {
    const bytes = randomBytes(300_000);
    const { head, body } = multipartUpload(member, bytes);
    // 10 KB every 100 ms: about 3 s in all, three times the timeout, never stalled.
    const answer = await send(port, head, body, 10_000, 100);
    expect(answer).toMatchObject({ status: 201, cutShort: false });
    expect(answer.body).toMatchObject({ successCount: 1, results: [{ status: 'pending' }] });
  });
});
