import { DataSource } from 'typeorm';
import { useTestApp } from '../support/app.js';
import { createMediaFile, type Json } from './library-fixtures.js';

const CONTENT = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz'.repeat(10)); // 360 bytes of text

describe('downloads and content', () => {
  let admin: string;
  let file: Json;
  let publicEndpoint: string;

  const downloadCount = async (id: string) =>
    Number(
      (
        await t
          .get(DataSource)
          .query<Array<{ download_count: string }>>(`SELECT download_count FROM media_files WHERE id = $1`, [id])
      )[0].download_count,
    );

  const t = useTestApp({
    listen: true,
    env: () => {
      // The public endpoint differs from the internal one (localhost vs 127.0.0.1): signed URLs must use it and work.
      publicEndpoint = process.env.S3_ENDPOINT!.replace('127.0.0.1', 'localhost');
      return { S3_PUBLIC_ENDPOINT: publicEndpoint, DOWNLOAD_URL_EXPIRY_SECONDS: '120' };
    },
  });

  beforeAll(async () => {
    admin = await t.adminAuth();
    file = await createMediaFile(t, {
      title: 'Déjà vu',
      filename: 'Déjà vu – notes.txt',
      content: CONTENT,
      accessLevel: 'public',
    });
  });

  it('redirects to a signed public-endpoint URL serving the bytes as an attachment, original name kept', async () => {
    const before = await downloadCount(file.id);
    const response = await t.http.get(`/api/files/${file.id}/download`);
    expect(response.status).toBe(302);
    const location = new URL(response.headers.location);
    expect(location.origin).toBe(new URL(publicEndpoint).origin);
    expect(location.searchParams.get('X-Amz-Expires')).toBe('120');
    expect(response.headers.location).not.toContain('Authorization');

    const signed = await fetch(location);
    expect(signed.status).toBe(200);
    expect(Buffer.from(await signed.arrayBuffer()).equals(CONTENT)).toBe(true);
    expect(signed.headers.get('content-type')).toMatch(/^text\/plain/);
    const disposition = signed.headers.get('content-disposition')!;
    expect(disposition).toMatch(
      /^attachment; filename="Deja vu _ notes.txt"; filename\*=UTF-8''D%C3%A9j%C3%A0%20vu%20%E2%80%93%20notes.txt$/,
    );
    expect(await downloadCount(file.id)).toBe(before + 1);
  });

  it('gives an inline disposition with ?inline=true', async () => {
    const response = await t.http.get(`/api/files/${file.id}/download?inline=true`).expect(302);
    const signed = await fetch(response.headers.location);
    expect(signed.headers.get('content-disposition')).toMatch(/^inline; /);
    expect((await t.http.get(`/api/files/${file.id}/download?inline=maybe`)).status).toBe(400);
  });

  it.each([
    ['page.html', '<!doctype html><html><body><script>alert(document.domain)</script></body></html>', /^text\/html/],
    ['drawing.svg', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', /^image\/svg\+xml/],
    ['feed.xml', '<?xml version="1.0"?><x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>', /xml/],
  ])(
    'never serves active content (%s) inline from a signed URL, even with ?inline=true',
    async (filename, text, type) => {
      const active = await createMediaFile(t, {
        title: filename,
        filename,
        content: Buffer.from(text),
        accessLevel: 'public',
      });
      const response = await t.http.get(`/api/files/${active.id}/download?inline=true`).expect(302);
      const signed = await fetch(response.headers.location);
      expect(signed.status).toBe(200);
      expect(signed.headers.get('content-type')).toMatch(type);
      expect(signed.headers.get('content-disposition')).toBe(`attachment; filename="${filename}"`);
      await signed.arrayBuffer();
    },
  );

  it('serves the content with ETag, Content-Length and Accept-Ranges, and counts a full read', async () => {
    const before = await downloadCount(file.id);
    const response = await t.http
      .get(`/api/files/${file.id}/content`)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
    expect(response.status).toBe(200);
    expect((response.body as Buffer).equals(CONTENT)).toBe(true);
    expect(response.headers.etag).toBe(`"${file.hash}"`);
    expect(response.headers['content-length']).toBe(String(CONTENT.length));
    expect(response.headers['accept-ranges']).toBe('bytes');
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(await downloadCount(file.id)).toBe(before + 1);
  });

  it('answers ranges with 206 and does not count partial reads', async () => {
    const before = await downloadCount(file.id);
    const part = await t.http.get(`/api/files/${file.id}/content`).set('Range', 'bytes=10-19');
    expect(part.status).toBe(206);
    expect(part.text).toBe(CONTENT.subarray(10, 20).toString());
    expect(part.headers['content-range']).toBe(`bytes 10-19/${CONTENT.length}`);
    expect(part.headers['content-length']).toBe('10');

    const suffix = await t.http.get(`/api/files/${file.id}/content`).set('Range', 'bytes=-5');
    expect(suffix.status).toBe(206);
    expect(suffix.text).toBe(CONTENT.subarray(-5).toString());

    const open = await t.http.get(`/api/files/${file.id}/content`).set('Range', 'bytes=350-');
    expect(open.status).toBe(206);
    expect(open.text).toBe(CONTENT.subarray(350).toString());
    expect(await downloadCount(file.id)).toBe(before);

    // A range covering every byte is a full read.
    const whole = await t.http.get(`/api/files/${file.id}/content`).set('Range', 'bytes=0-');
    expect(whole.status).toBe(206);
    expect(await downloadCount(file.id)).toBe(before + 1);
  });

  it('answers 416 for an unsatisfiable range and ignores a malformed one', async () => {
    const response = await t.http.get(`/api/files/${file.id}/content`).set('Range', `bytes=${CONTENT.length}-`);
    expect(response.status).toBe(416);
    expect(response.headers['content-range']).toBe(`bytes */${CONTENT.length}`);
    expect(response.body.code).toBe('RANGE_NOT_SATISFIABLE');
    const malformed = await t.http.get(`/api/files/${file.id}/content`).set('Range', 'pages=1-2');
    expect(malformed.status).toBe(200);
  });

  it('answers 304 to If-None-Match with the current ETag, without counting', async () => {
    const before = await downloadCount(file.id);
    const response = await t.http.get(`/api/files/${file.id}/content`).set('If-None-Match', `W/"nope", "${file.hash}"`);
    expect(response.status).toBe(304);
    expect(response.headers.etag).toBe(`"${file.hash}"`);
    // A browser copies a 304's headers onto its cached copy: they must keep the untrusted-content policy.
    expect(response.headers['content-security-policy']).toBe("sandbox; default-src 'none'");
    expect(await downloadCount(file.id)).toBe(before);
    expect((await t.http.get(`/api/files/${file.id}/content`).set('If-None-Match', '"other"')).status).toBe(200);
  });

  it('answers HEAD with the headers only, without counting', async () => {
    const before = await downloadCount(file.id);
    const response = await t.http.head(`/api/files/${file.id}/content`);
    expect(response.status).toBe(200);
    expect(response.headers['content-length']).toBe(String(CONTENT.length));
    expect(response.headers.etag).toBe(`"${file.hash}"`);
    expect(await downloadCount(file.id)).toBe(before);
  });

  it('ignores Range when If-Range names another version', async () => {
    const response = await t.http
      .get(`/api/files/${file.id}/content`)
      .set('Range', 'bytes=0-1')
      .set('If-Range', '"stale"');
    expect(response.status).toBe(200);
  });

  it('loses no count under 20 parallel downloads and 20 parallel full reads, and records lastAccessedAt', async () => {
    const before = await downloadCount(file.id);
    const responses = await Promise.all([
      ...Array.from({ length: 20 }, () => t.http.get(`/api/files/${file.id}/download`)),
      ...Array.from({ length: 20 }, () => t.http.get(`/api/files/${file.id}/content`)),
    ]);
    expect(responses.map((response) => response.status).sort()).toEqual([
      ...Array(20).fill(200),
      ...Array(20).fill(302),
    ]);
    expect(await downloadCount(file.id)).toBe(before + 40);
    const detail = await t.http.get(`/api/files/${file.id}`).set('Authorization', admin).expect(200);
    expect(detail.body.downloadCount).toBe(before + 40);
    expect(Date.now() - Date.parse(detail.body.lastAccessedAt)).toBeLessThan(60_000);
  });
});
