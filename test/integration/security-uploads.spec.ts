/**
 * Uploads an attacker shapes: more parts or fields than a request may carry (every file part gets an answer, or
 * the request is refused whole with a clear 4xx), and executables in disguise. Nothing is left behind.
 */
import { randomBytes } from 'node:crypto';
import { useTestApp } from '../support/app.js';
import { expectInvariants } from '../support/invariants.js';

type Part = { name: string; value: string } | { name: string; filename: string; bytes: Buffer };

/** A multipart/form-data body built by hand: supertest's attach() is far too slow for thousands of parts. */
function multipart(parts: Part[]): { body: Buffer; contentType: string } {
  const boundary = `----mv${randomBytes(8).toString('hex')}`;
  const chunks = parts.flatMap((part) =>
    'filename' in part
      ? [
          Buffer.from(
            `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\n` +
              'Content-Type: application/octet-stream\r\n\r\n',
          ),
          part.bytes,
          Buffer.from('\r\n'),
        ]
      : [Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`)],
  );
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

const file = (index: number): Part => ({
  name: 'files',
  filename: `part-${index}.txt`,
  bytes: Buffer.from(`security upload ${index} ${randomBytes(8).toString('hex')}\n`),
});

describe('security: upload parts, fields and disguised executables', () => {
  const t = useTestApp({ env: { MAX_FILES_PER_REQUEST: '5', ORPHAN_GRACE_MINUTES: '0' } });
  let member: string;

  const send = (parts: Part[]) => {
    const { body, contentType } = multipart(parts);
    return t.http.post('/api/uploads').set('Authorization', member).set('Content-Type', contentType).send(body);
  };

  beforeAll(async () => {
    member = (await t.createUser('member')).auth;
  });

  it('answers every one of 300 file parts: the first 5 recorded, each of the others TOO_MANY_FILES', async () => {
    const response = await send(Array.from({ length: 300 }, (_, index) => file(index)));
    expect(response.status).toBe(201);
    const results = response.body.results as Array<{ filename: string; status: string; error?: { code: string } }>;
    expect(results).toHaveLength(300);
    expect(results.map((result) => result.filename)).toEqual(
      Array.from({ length: 300 }, (_, index) => `part-${index}.txt`),
    );
    expect(results.slice(0, 5).map((result) => result.status)).toEqual(Array(5).fill('pending'));
    expect(new Set(results.slice(5).map((result) => result.error?.code))).toEqual(new Set(['TOO_MANY_FILES']));
    expect(response.body).toMatchObject({ successCount: 5, errorCount: 295 });
  });

  it('refuses a request with more file parts than it can answer whole: 413 TOO_MANY_PARTS', async () => {
    const response = await send(Array.from({ length: 5 + 1000 + 1 }, (_, index) => file(index)));
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ code: 'TOO_MANY_PARTS', details: { maxFileParts: 1005 } });
  });

  it('refuses 10,000 text fields before a file with 413 TOO_MANY_PARTS, not NO_FILES', async () => {
    const fields = Array.from({ length: 10_000 }, (_, index) => ({ name: `field${index}`, value: 'x' }));
    const response = await send([...fields, file(0)]);
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ code: 'TOO_MANY_PARTS', details: { maxFields: 50 } });
    // A few fields are fine.
    const few = await send([{ name: 'folderPath', value: 'a/b' }, { name: 'note', value: 'x' }, file(1)]);
    expect(few.status).toBe(201);
    expect(few.body.results[0]).toMatchObject({ status: 'pending', pendingFile: { folderPath: '/a/b' } });
  });

  it.each([
    [
      'a UTF-16 script (a BOM that reads as MPEG audio)',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('#!/bin/sh\nid\n', 'utf16le')]),
    ],
    [
      'a script behind a UTF-8 BOM',
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('#!/usr/bin/env python3\n')]),
    ],
    ['a script behind blanks', Buffer.from('\n  #!/bin/bash\nid\n')],
    ['a fat Mach-O', Buffer.concat([Buffer.from('cafebabe00000000', 'hex'), randomBytes(64)])],
  ])('refuses %s with UNSUPPORTED_TYPE', async (_, bytes) => {
    const response = await send([{ name: 'files', filename: 'innocent.txt', bytes }]);
    expect(response.status).toBe(201);
    expect(response.body.results[0]).toMatchObject({ status: 'error', error: { code: 'UNSUPPORTED_TYPE' } });
  });

  it('leaves nothing behind: no claims, no stray objects', async () => {
    await expectInvariants(t);
  });
});
