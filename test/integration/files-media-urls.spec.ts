import { DataSource } from 'typeorm';
import { MediaUrlSigner } from '../../src/file-manager/media-urls/media-url-signer.js';
import { MEMBER_PASSWORD, useTestApp } from '../support/app.js';
import { content, purge, reject, restore, trash, upload } from '../support/files.js';
import { createMediaFile, type Json } from './library-fixtures.js';

const BYTES = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz'.repeat(10)); // 360 bytes of text

/** A signed media URL's path segments after `/api/media/`: kind, id, hash, scope, expires, signature. */
const segmentsOf = (url: string) => url.replace(/^\/api\/media\//, '').split('/');
const withSegment = (url: string, index: number, value: string) => {
  const segments = segmentsOf(url);
  segments[index] = value;
  return `/api/media/${segments.join('/')}`;
};

describe('signed media URLs (urls.content)', () => {
  const t = useTestApp({ env: { MEDIA_URL_WINDOW_SECONDS: '3600' } });
  let admin: string;
  let member: { id: string; email: string; auth: string };
  let publicFile: Json;
  let membersFile: Json;

  // No Authorization header: the way an <img>, <video> or <a download> asks.
  const fetchUrl = (url: string, headers: Record<string, string> = {}) =>
    t.http
      .get(url)
      .set(headers)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const bytes = Buffer.concat(chunks);
          // Error bodies as JSON (the contract's shape, checked against the document), the content as bytes.
          const isJson = /^application\/json/.test(String(res.headers['content-type']));
          done(null, isJson ? JSON.parse(bytes.toString('utf8')) : bytes);
        });
      });
  const errorOf = (body: unknown) => body as Json;
  const downloadCount = async (id: string) => {
    const found = await t
      .get(DataSource)
      .query<Array<{ download_count: string }>>(`SELECT download_count FROM media_files WHERE id = $1`, [id]);
    return Number(found[0].download_count);
  };
  const viewOf = async (id: string, auth?: string): Promise<Json> => {
    const request = t.http.get(`/api/files/${id}`);
    const response = await (auth ? request.set('Authorization', auth) : request);
    expect(response.status).toBe(200);
    return response.body;
  };

  beforeAll(async () => {
    admin = await t.adminAuth();
    member = await t.createUser('member');
    publicFile = await createMediaFile(t, { title: 'Public notes', content: BYTES, accessLevel: 'public' });
    membersFile = await createMediaFile(t, { title: 'Members notes', accessLevel: 'members' });
  });

  it('serves a public file to an anonymous GET without Authorization, and counts the download', async () => {
    const view = await viewOf(publicFile.id);
    expect(view.urls.content).toMatch(/^\/api\/media\/files\//);
    const before = await downloadCount(publicFile.id);
    const response = await fetchUrl(view.urls.content);
    expect(response.status).toBe(200);
    expect((response.body as Buffer).equals(BYTES)).toBe(true);
    expect(response.headers.etag).toBe(`"${publicFile.hash}"`);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.headers['content-disposition']).toMatch(/^inline; /);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(await downloadCount(publicFile.id)).toBe(before + 1);
  });

  it('honours Range (206, not counted) and If-None-Match (304)', async () => {
    const { urls } = await viewOf(publicFile.id);
    const before = await downloadCount(publicFile.id);
    const partial = await fetchUrl(urls.content, { Range: 'bytes=10-19' });
    expect(partial.status).toBe(206);
    expect((partial.body as Buffer).toString()).toBe(BYTES.subarray(10, 20).toString());
    expect(partial.headers['content-range']).toBe(`bytes 10-19/${BYTES.length}`);
    const cached = await fetchUrl(urls.content, { 'If-None-Match': `"${publicFile.hash}"` });
    expect(cached.status).toBe(304);
    // A browser copies a 304's headers onto its cached copy: they must keep the untrusted-content policy.
    expect(cached.headers['content-security-policy']).toBe("sandbox; default-src 'none'");
    expect(cached.headers['x-content-type-options']).toBe('nosniff');
    expect(await downloadCount(publicFile.id)).toBe(before);
  });

  it('answers HEAD with the headers only, counting nothing', async () => {
    const { urls } = await viewOf(publicFile.id);
    const before = await downloadCount(publicFile.id);
    const response = await t.http.head(urls.content);
    expect(response.status).toBe(200);
    expect(response.headers['content-length']).toBe(String(BYTES.length));
    expect(response.headers.etag).toBe(`"${publicFile.hash}"`);
    expect(await downloadCount(publicFile.id)).toBe(before);
  });

  it('gives the same URL to the same caller within the window, and another one to another caller', async () => {
    const first = (await viewOf(membersFile.id, member.auth)).urls.content;
    const second = (await viewOf(membersFile.id, member.auth)).urls.content;
    expect(second).toBe(first);
    const listed = await t.http.get('/api/files').set('Authorization', member.auth).expect(200);
    expect(listed.body.results.find((file: Json) => file.id === membersFile.id).urls.content).toBe(first);
    expect((await viewOf(membersFile.id, admin)).urls.content).not.toBe(first);
  });

  it('opens a members file for the member who was given the URL, with no Authorization header', async () => {
    const { urls } = await viewOf(membersFile.id, member.auth);
    expect((await t.http.get(`/api/files/${membersFile.id}/content`)).status).toBe(404);
    const response = await fetchUrl(urls.content);
    expect(response.status).toBe(200);
    expect(response.headers.etag).toBe(`"${membersFile.hash}"`);
  });

  it.each([
    ['kind', 0, 'pending'],
    ['id', 1, 'another'],
    ['hash', 2, 'f'.repeat(64)],
    ['scope', 3, 'public'],
    ['expiry', 4, 'later'],
    ['signature', 5, 'A'.repeat(43)],
  ])('refuses a URL whose %s was altered: 403 INVALID_MEDIA_URL with the error shape', async (_, index, value) => {
    const { urls } = await viewOf(membersFile.id, member.auth);
    const later = String(Number(segmentsOf(urls.content)[4]) + 3600);
    const replacement = value === 'another' ? (publicFile.id as string) : value === 'later' ? later : value;
    const response = await fetchUrl(withSegment(urls.content, index, replacement));
    expect(response.status).toBe(403);
    const body = errorOf(response.body);
    expect(body).toMatchObject({ statusCode: 403, error: 'Forbidden', code: 'INVALID_MEDIA_URL', details: {} });
    expect(typeof body.message).toBe('string');
    expect(body.requestId).toBe(response.headers['x-request-id']);
  });

  it('answers 410 MEDIA_URL_EXPIRED for a genuine URL past its expiry', async () => {
    const longAgo = Date.now() - 3 * 3600_000;
    const url = t.get(MediaUrlSigner).contentUrl('files', publicFile.id, publicFile.hash, undefined, longAgo);
    const response = await fetchUrl(url);
    expect(response.status).toBe(410);
    expect(errorOf(response.body)).toMatchObject({ statusCode: 410, error: 'Gone', code: 'MEDIA_URL_EXPIRED' });
    expect(Date.parse(errorOf(response.body).details.expiredAt)).toBeLessThan(Date.now());
  });

  it('serves active types (HTML) only as an attachment with the sandbox CSP and nosniff', async () => {
    const html = await createMediaFile(t, {
      title: 'Page',
      filename: 'page.html',
      content: Buffer.from('<!doctype html><html><body><script>alert(document.domain)</script></body></html>'),
      accessLevel: 'public',
    });
    const response = await fetchUrl((await viewOf(html.id)).urls.content);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers['content-disposition']).toBe('attachment; filename="page.html"');
    expect(response.headers['content-security-policy']).toBe("sandbox; default-src 'none'");
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it('stops working once the file is trashed (404), works again after restore, and not after purge', async () => {
    const file = await createMediaFile(t, { title: 'To trash', accessLevel: 'public' });
    const { urls } = await viewOf(file.id);
    expect((await fetchUrl(urls.content)).status).toBe(200);
    expect((await trash(t, admin, file.id)).status).toBe(204);
    const trashed = await fetchUrl(urls.content);
    expect(trashed.status).toBe(404);
    expect(errorOf(trashed.body)).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
    expect((await restore(t, admin, file.id)).status).toBe(200);
    expect((await fetchUrl(urls.content)).status).toBe(200);
    expect((await trash(t, admin, file.id)).status).toBe(204);
    expect((await purge(t, admin, file.id)).status).toBe(204);
    expect((await fetchUrl(urls.content)).status).toBe(404);
  });

  it('stops working when the signer may no longer read the file (made staff-only)', async () => {
    const file = await createMediaFile(t, { title: 'Soon staff only', accessLevel: 'members' });
    const { urls } = await viewOf(file.id, member.auth);
    expect((await fetchUrl(urls.content)).status).toBe(200);
    await t.http.patch(`/api/files/${file.id}`).set('Authorization', admin).send({ accessLevel: 'staff' }).expect(200);
    expect((await fetchUrl(urls.content)).status).toBe(404);
  });

  it("stops working when the signer's session ends (logout) or the signer is disabled", async () => {
    const other = await t.createUser('member');
    const second = await t.login(other.email, MEMBER_PASSWORD);
    const loggedOut = (await viewOf(membersFile.id, other.auth)).urls.content;
    const disabledLater = (await viewOf(membersFile.id, second)).urls.content;
    expect((await fetchUrl(loggedOut)).status).toBe(200);
    await t.http.post('/api/auth/logout').set('Authorization', other.auth).send({}).expect(204);
    expect((await fetchUrl(loggedOut)).status).toBe(404);
    expect((await fetchUrl(disabledLater)).status).toBe(200);
    await t.http.patch(`/api/users/${other.id}`).set('Authorization', admin).send({ disabled: true }).expect(200);
    expect((await fetchUrl(disabledLater)).status).toBe(404);
  });

  describe('pending files', () => {
    it('carries urls.content for its uploader, served without Authorization, with Range and ETag', async () => {
      const bytes = content();
      const uploaded = await upload(t, member.auth, bytes);
      const fromUpload = (uploaded.pendingFile as Json).urls.content as string;
      expect(fromUpload).toMatch(/^\/api\/media\/pending\//);
      const fromView = await t.http.get(`/api/pending/${uploaded.pendingFile!.id}`).set('Authorization', member.auth);
      expect(fromView.body.urls.content).toBe(fromUpload);
      const response = await fetchUrl(fromUpload);
      expect(response.status).toBe(200);
      expect((response.body as Buffer).equals(bytes)).toBe(true);
      expect(response.headers.etag).toBe(`"${uploaded.hash}"`);
      expect((await fetchUrl(fromUpload, { Range: 'bytes=0-3' })).status).toBe(206);
      expect((await fetchUrl(fromUpload, { 'If-None-Match': `"${uploaded.hash}"` })).status).toBe(304);
    });

    it('opens for every uploader of the content, and not for another member', async () => {
      const bytes = content();
      const second = await t.createUser('member');
      const stranger = await t.createUser('member');
      const first = await upload(t, member.auth, bytes);
      const again = await upload(t, second.auth, bytes);
      expect(again.pendingFile!.id).toBe(first.pendingFile!.id);
      expect((await fetchUrl((again.pendingFile as Json).urls.content as string)).status).toBe(200);
      expect((await fetchUrl((first.pendingFile as Json).urls.content as string)).status).toBe(200);
      const strangerUser = { id: stranger.id, email: stranger.email, role: 'member' as const };
      const forStranger = t.get(MediaUrlSigner).contentUrl('pending', first.pendingFile!.id, first.hash, strangerUser);
      expect((await fetchUrl(forStranger)).status).toBe(404);
    });

    it('is never signed for anyone but a user: a public-scoped pending URL answers 404', async () => {
      const uploaded = await upload(t, member.auth, content());
      const url = t.get(MediaUrlSigner).contentUrl('pending', uploaded.pendingFile!.id, uploaded.hash, undefined);
      expect((await fetchUrl(url)).status).toBe(404);
    });

    it('stops working once the pending file is rejected (404)', async () => {
      const uploaded = await upload(t, member.auth, content());
      const url = (uploaded.pendingFile as Json).urls.content as string;
      expect((await fetchUrl(url)).status).toBe(200);
      expect((await reject(t, admin, uploaded.pendingFile!.id)).status).toBe(200);
      const response = await fetchUrl(url);
      expect(response.status).toBe(404);
      expect(errorOf(response.body)).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
    });
  });
});
