import sharp from 'sharp';
import { DataSource } from 'typeorm';
import { RenditionWorker } from '../../src/renditions/rendition-worker.service.js';
import { RenditionsService } from '../../src/renditions/renditions.service.js';
import { MEMBER_PASSWORD, useTestApp } from '../support/app.js';
import { expectError } from '../support/errors.js';
import { approve, content, reject, trash, upload } from '../support/files.js';
import { solidImage, testPdf, testVideo, truncated } from '../support/media.js';
import type { Json } from './library-fixtures.js';

/**
 * Renditions in the views and over HTTP (docs/renditions.md, "Views and HTTP"): `renditions`, `placeholder`,
 * `mediaInfo` (GPS for the uploader and admins only), `urls.thumbnail/preview`, the thumbnail and preview routes of
 * media and pending files, their signed media URLs, and the `takenAfter` / `takenBefore` filters. Rendering is driven
 * with the worker's `processDue()` (test apps run as `api`), with real images, video and PDFs.
 */
const t = useTestApp({ env: { RENDITION_RETRY_SECONDS: '0', RENDITION_MAX_ATTEMPTS: '1' } });
let admin: string;
let member: { id: string; email: string; auth: string };
let other: { id: string; email: string; auth: string };

/** A JPEG with a camera, a capture time and a GPS position; `colour` makes its content distinct. */
function photo(colour: string, takenAt = '2024:05:06 07:08:09', offset = '+02:00'): Promise<Buffer> {
  return solidImage(640, 480, colour)
    .jpeg()
    .withExifMerge({
      IFD0: { Make: 'TestCam', Model: 'X100' },
      IFD2: { DateTimeOriginal: takenAt, OffsetTimeOriginal: offset, ExposureTime: '1/250', LensModel: 'Lens 35mm' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 30/1', GPSLongitudeRef: 'W', GPSLongitude: '2/1 21/1 0/1' },
    })
    .toBuffer();
}

/** Queues the content (until enqueue-on-upload is wired in) and renders everything due. */
async function render(hash: string): Promise<void> {
  await t.get(RenditionsService).enqueue(hash);
  await t.get(RenditionWorker).processDue();
}

/** Uploads `bytes` as `auth`; answers the pending file's id and the content hash. */
async function uploaded(auth: string, bytes: Buffer, filename: string) {
  const result = await upload(t, auth, bytes, filename);
  return { pendingId: result.pendingFile!.id, hash: result.hash, pendingFile: result.pendingFile as Json };
}

async function approved(pendingId: string, accessLevel = 'members', title = 'A photo'): Promise<Json> {
  const response = await approve(t, admin, pendingId, { title, accessLevel });
  expect(response.status).toBe(201);
  return response.body.mediaFile;
}

const getJson = (path: string, auth?: string) => {
  const request = t.http.get(path);
  return auth ? request.set('Authorization', auth) : request;
};

/** A GET answered as bytes (images) or JSON (error bodies), with an optional Authorization and other headers. */
const fetchBytes = (path: string, auth?: string, headers: Record<string, string> = {}) => {
  const request = t.http.get(path).set(headers);
  if (auth) request.set('Authorization', auth);
  return request.buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => {
      const bytes = Buffer.concat(chunks);
      const isJson = /^application\/json/.test(String(res.headers['content-type']));
      done(null, isJson ? JSON.parse(bytes.toString('utf8')) : bytes);
    });
  });
};

const downloadCount = async (id: string) => {
  const [row] = await t
    .get(DataSource)
    .query<Array<{ n: string }>>(`SELECT download_count AS n FROM media_files WHERE id = $1`, [id]);
  return Number(row.n);
};

beforeAll(async () => {
  admin = await t.adminAuth();
  member = await t.createUser('member');
  other = await t.createUser('member');
});

describe('views of a content through its rendition states', () => {
  it('shows pending, then ready with sizes, placeholder, mediaInfo and signed URLs', async () => {
    const { pendingId, hash, pendingFile } = await uploaded(member.auth, await photo('#204080'), 'photo.jpg');
    // The upload's answer already carries the fields: not rendered yet.
    expect(pendingFile.renditions).toEqual({ status: 'pending' });
    expect(pendingFile.urls.thumbnail).toBeUndefined();
    expect(pendingFile.placeholder).toBeUndefined();
    expect(pendingFile.mediaInfo).toBeUndefined();

    await render(hash);
    const view = (await getJson(`/api/pending/${pendingId}`, member.auth).expect(200)).body;
    expect(view.renditions).toEqual({
      status: 'ready',
      thumbnail: { width: 320, height: 240, contentType: 'image/webp', size: expect.any(Number) },
      preview: { width: 640, height: 480, contentType: 'image/webp', size: expect.any(Number) },
    });
    expect(Buffer.from(view.placeholder, 'base64').length).toBeGreaterThan(10);
    expect(view.mediaInfo).toMatchObject({
      width: 640,
      height: 480,
      takenAt: '2024-05-06T05:08:09.000Z',
      camera: { make: 'TestCam', model: 'X100' },
      lens: 'Lens 35mm',
      gps: { latitude: expect.closeTo(48.858, 2), longitude: expect.closeTo(-2.35, 2) },
    });
    expect(view.urls.thumbnail).toMatch(new RegExp(`^/api/media/pending/${pendingId}/${hash}/thumbnail/`));
    expect(view.urls.preview).toMatch(new RegExp(`^/api/media/pending/${pendingId}/${hash}/preview/`));

    // The moderation queue shows the same.
    const queue = (await getJson('/api/pending', admin).expect(200)).body;
    const listed = queue.results.find((file: Json) => file.id === pendingId);
    expect(listed.renditions.status).toBe('ready');
    expect(listed.urls.thumbnail).toMatch(/\/thumbnail\//);
  });

  it('shows failed (the reason to admins only) and unsupported', async () => {
    const broken = await uploaded(member.auth, truncated(await photo('#aa3300')), 'broken.jpg');
    const text = await uploaded(member.auth, content(), 'notes.txt');
    await render(broken.hash);
    await render(text.hash);

    const forMember = (await getJson(`/api/pending/${broken.pendingId}`, member.auth).expect(200)).body;
    expect(forMember.renditions).toEqual({ status: 'failed' });
    expect(forMember.urls.thumbnail).toBeUndefined();
    const forAdmin = (await getJson(`/api/pending/${broken.pendingId}`, admin).expect(200)).body;
    expect(forAdmin.renditions).toEqual({ status: 'failed', failureReason: expect.any(String) });

    const textView = (await getJson(`/api/pending/${text.pendingId}`, member.auth).expect(200)).body;
    expect(textView.renditions).toEqual({ status: 'unsupported' });
    expect(textView.urls).toEqual({ content: expect.any(String) });
  });

  it('renders a video and a PDF: poster and first page, duration and page count', async () => {
    const video = await uploaded(admin, await testVideo(320, 240, 2), 'clip.mp4');
    const pdf = await uploaded(admin, testPdf(3), 'doc.pdf');
    await render(video.hash);
    await render(pdf.hash);
    const videoView = (await getJson(`/api/pending/${video.pendingId}`, admin).expect(200)).body;
    expect(videoView.renditions.status).toBe('ready');
    expect(videoView.renditions.thumbnail).toMatchObject({ width: 320, height: 240 });
    expect(videoView.mediaInfo).toMatchObject({ width: 320, height: 240, durationSeconds: expect.any(Number) });
    const pdfView = (await getJson(`/api/pending/${pdf.pendingId}`, admin).expect(200)).body;
    expect(pdfView.renditions.status).toBe('ready');
    expect(pdfView.renditions.thumbnail.contentType).toBe('image/webp');
    expect(pdfView.mediaInfo).toEqual({ pageCount: 3 });
  });
});

describe('GPS in media file views', () => {
  let file: Json;

  beforeAll(async () => {
    const { pendingId, hash } = await uploaded(member.auth, await photo('#336699'), 'gps.jpg');
    await render(hash);
    file = await approved(pendingId, 'public', 'Where it was taken');
  });

  const mediaInfoAs = async (auth?: string) =>
    (await getJson(`/api/files/${file.id}`, auth).expect(200)).body.mediaInfo;

  it('shows GPS to the uploader and to admins', async () => {
    expect((await mediaInfoAs(member.auth)).gps).toMatchObject({ latitude: expect.any(Number) });
    expect((await mediaInfoAs(admin)).gps).toMatchObject({ longitude: expect.any(Number) });
    expect(file.mediaInfo.gps).toBeDefined(); // the approval's answer, for the admin
  });

  it('hides GPS from other members and anonymous callers, in details and lists, keeping the rest', async () => {
    for (const info of [await mediaInfoAs(other.auth), await mediaInfoAs(undefined)]) {
      expect(info.gps).toBeUndefined();
      expect(info.takenAt).toBe('2024-05-06T05:08:09.000Z');
      expect(info.camera).toEqual({ make: 'TestCam', model: 'X100' });
    }
    const listed = (await getJson('/api/files?q=where', other.auth).expect(200)).body.results;
    const mine = listed.find((item: Json) => item.id === file.id);
    expect(mine.renditions.status).toBe('ready');
    expect(mine.mediaInfo.gps).toBeUndefined();
    expect(mine.mediaInfo.takenAt).toBeDefined();
  });

  it('never puts GPS into the thumbnail itself', async () => {
    const response = await fetchBytes(`/api/files/${file.id}/thumbnail`, member.auth).expect(200);
    const metadata = await sharp(response.body as Buffer).metadata();
    expect(metadata.format).toBe('webp');
    expect(metadata.exif).toBeUndefined();
  });
});

describe('GET /api/files/:id/thumbnail|preview and /api/pending/:id/thumbnail|preview', () => {
  it('answers 404 RENDITION_NOT_READY until rendered, then 200 image/webp with validators', async () => {
    const { pendingId, hash } = await uploaded(member.auth, await photo('#aa7700'), 'later.jpg');
    const notYet = await getJson(`/api/pending/${pendingId}/thumbnail`, member.auth);
    expectError(notYet, 404, 'RENDITION_NOT_READY');
    expect(notYet.body.details).toEqual({ kind: 'thumbnail', status: 'pending' });

    await render(hash);
    const thumbnail = await fetchBytes(`/api/pending/${pendingId}/thumbnail`, member.auth).expect(200);
    expect(thumbnail.headers['content-type']).toBe('image/webp');
    expect(thumbnail.headers['x-content-type-options']).toBe('nosniff');
    expect(thumbnail.headers['content-security-policy']).toBe("sandbox; default-src 'none'");
    expect(thumbnail.headers['cache-control']).toBe('private, no-cache');
    expect(thumbnail.headers.etag).toMatch(/^"thumbnail-/);
    const image = await sharp(thumbnail.body as Buffer).metadata();
    expect([image.format, image.width, image.height]).toEqual(['webp', 320, 240]);

    const preview = await fetchBytes(`/api/pending/${pendingId}/preview`, admin).expect(200);
    expect((await sharp(preview.body as Buffer).metadata()).width).toBe(640);
    expect(preview.headers.etag).not.toBe(thumbnail.headers.etag);

    const cached = await fetchBytes(`/api/pending/${pendingId}/thumbnail`, member.auth, {
      'If-None-Match': thumbnail.headers.etag,
    });
    expect(cached.status).toBe(304);
    expect(cached.headers['content-security-policy']).toBe("sandbox; default-src 'none'");

    // Another member can not even see that the pending file exists.
    expectError(await getJson(`/api/pending/${pendingId}/thumbnail`, other.auth), 404, 'NOT_FOUND');
  });

  it('answers RENDITION_NOT_READY with the status when there will be none (failed, unsupported)', async () => {
    const text = await uploaded(admin, content(), 'plain.txt');
    await render(text.hash);
    const response = await getJson(`/api/pending/${text.pendingId}/preview`, admin);
    expectError(response, 404, 'RENDITION_NOT_READY');
    expect(response.body.details).toEqual({ kind: 'preview', status: 'unsupported' });
  });

  it('answers a rejected pending file whose content is gone as /content does: 404 OBJECT_NOT_FOUND', async () => {
    const { pendingId, hash } = await uploaded(member.auth, await photo('#993311'), 'refused.jpg');
    await render(hash);
    await fetchBytes(`/api/pending/${pendingId}/thumbnail`, member.auth).expect(200);
    expect((await reject(t, admin, pendingId)).status).toBe(200);
    expectError(await getJson(`/api/pending/${pendingId}/content`, member.auth), 404, 'OBJECT_NOT_FOUND');
    expectError(await getJson(`/api/pending/${pendingId}/thumbnail`, member.auth), 404, 'OBJECT_NOT_FOUND');
  });

  it('serves a media file thumbnail under its access level, never counting a download', async () => {
    const { pendingId, hash } = await uploaded(member.auth, await photo('#118844'), 'staff.jpg');
    await render(hash);
    const file = await approved(pendingId, 'staff');
    expectError(await getJson(`/api/files/${file.id}/thumbnail`, member.auth), 404, 'NOT_FOUND');
    expectError(await getJson(`/api/files/${file.id}/thumbnail`), 404, 'NOT_FOUND');

    const before = await downloadCount(file.id);
    const response = await fetchBytes(`/api/files/${file.id}/thumbnail`, admin).expect(200);
    expect(response.headers['content-type']).toBe('image/webp');
    await fetchBytes(`/api/files/${file.id}/preview`, admin).expect(200);
    await fetchBytes(file.urls.thumbnail).expect(200);
    expect(await downloadCount(file.id)).toBe(before);
    // While the content itself still counts.
    await fetchBytes(`/api/files/${file.id}/content`, admin).expect(200);
    expect(await downloadCount(file.id)).toBe(before + 1);
  });
});

describe('signed thumbnail and preview URLs', () => {
  it('open in a plain GET without Authorization, and stop when the file is trashed', async () => {
    const { pendingId, hash } = await uploaded(member.auth, await photo('#7722aa'), 'signed.jpg');
    await render(hash);
    const file = await approved(pendingId, 'members');
    const view = (await getJson(`/api/files/${file.id}`, member.auth).expect(200)).body;
    expect(view.urls.thumbnail).toMatch(new RegExp(`^/api/media/files/${file.id}/${hash}/thumbnail/${member.id}\\.`));

    const thumbnail = await fetchBytes(view.urls.thumbnail).expect(200);
    expect(thumbnail.headers['content-type']).toBe('image/webp');
    expect(thumbnail.headers['content-security-policy']).toBe("sandbox; default-src 'none'");
    expect((await sharp(thumbnail.body as Buffer).metadata()).width).toBe(320);
    const preview = await fetchBytes(view.urls.preview).expect(200);
    expect((await sharp(preview.body as Buffer).metadata()).width).toBe(640);
    expect((await fetchBytes(view.urls.thumbnail, undefined, { 'If-None-Match': thumbnail.headers.etag })).status).toBe(
      304,
    );

    expect((await trash(t, member.auth, file.id)).status).toBe(204);
    expectError(await fetchBytes(view.urls.thumbnail), 404, 'NOT_FOUND');
    expectError(await fetchBytes(view.urls.preview), 404, 'NOT_FOUND');
    // The trash lists it with its renditions, but without URLs that would not open.
    const trashed = (await getJson('/api/trash', member.auth).expect(200)).body.results;
    const listed = trashed.find((item: Json) => item.id === file.id);
    expect(listed.renditions.status).toBe('ready');
    expect(listed.urls.thumbnail).toBeUndefined();
    expect(listed.urls.preview).toBeUndefined();
  });

  it('can not be made from a content URL or turned into another rendition', async () => {
    const { pendingId, hash } = await uploaded(admin, await photo('#0088cc'), 'forge.jpg');
    await render(hash);
    const file = await approved(pendingId, 'public');
    const { urls } = (await getJson(`/api/files/${file.id}`).expect(200)).body;
    // The content URL's segments with "thumbnail" put in: the signature does not cover it.
    const segments = urls.content.split('/');
    segments.splice(6, 0, 'thumbnail');
    expectError(await fetchBytes(segments.join('/')), 403, 'INVALID_MEDIA_URL');
    expectError(await fetchBytes(urls.thumbnail.replace('/thumbnail/', '/preview/')), 403, 'INVALID_MEDIA_URL');
    expectError(await fetchBytes(urls.thumbnail.replace('/thumbnail/', '/content/')), 403, 'INVALID_MEDIA_URL');
  });

  it('open a pending file rendition for its uploader only while it is pending', async () => {
    const { pendingId, hash } = await uploaded(member.auth, await photo('#445566'), 'queue.jpg');
    await render(hash);
    const { urls } = (await getJson(`/api/pending/${pendingId}`, member.auth).expect(200)).body;
    await fetchBytes(urls.thumbnail).expect(200);
    await approved(pendingId);
    expectError(await fetchBytes(urls.thumbnail), 404, 'NOT_FOUND');
  });

  it('stop with the session that signed them', async () => {
    const login = await t.http.post('/api/auth/login').send({ email: other.email, password: MEMBER_PASSWORD });
    const auth = `Bearer ${login.body.accessToken}`;
    const { pendingId, hash } = await uploaded(admin, await photo('#556677'), 'session.jpg');
    await render(hash);
    const file = await approved(pendingId, 'members');
    const { urls } = (await getJson(`/api/files/${file.id}`, auth).expect(200)).body;
    await fetchBytes(urls.thumbnail).expect(200);
    await t.http.post('/api/auth/logout').set('Authorization', auth).send({}).expect(204);
    expectError(await fetchBytes(urls.thumbnail), 404, 'NOT_FOUND');
  });
});

describe('takenAfter / takenBefore', () => {
  let may: Json;
  let june: Json;
  let noExif: Json;

  beforeAll(async () => {
    const files: Json[] = [];
    for (const [colour, taken, title] of [
      ['#101010', '2023:05:20 10:00:00', 'Taken in May'],
      ['#202020', '2023:06:15 23:30:00', 'Taken in June'],
    ] as const) {
      const { pendingId, hash } = await uploaded(admin, await photo(colour, taken, '+00:00'), `${title}.jpg`);
      await render(hash);
      files.push(await approved(pendingId, 'members', title));
    }
    [may, june] = files;
    const plain = await uploaded(admin, await solidImage(64, 64, '#303030').png().toBuffer(), 'plain.png');
    await render(plain.hash);
    noExif = await approved(plain.pendingId, 'members', 'Taken never');
  });

  const idsFor = async (query: Record<string, string>) => {
    const response = await t.http
      .get('/api/files')
      .query({ ...query, pageSize: 100 })
      .set('Authorization', admin);
    expect(response.status).toBe(200);
    const ids = response.body.results.map((file: Json) => file.id as string);
    expect(response.body.count).toBe(ids.length);
    return ids.filter((id: string) => [may.id, june.id, noExif.id].includes(id)).sort();
  };

  it('filters by capture time: after inclusive, before exclusive, offsets honoured', async () => {
    expect(await idsFor({ takenAfter: '2023-06-01' })).toEqual([june.id]);
    expect(await idsFor({ takenBefore: '2023-06-01' })).toEqual([may.id]);
    expect(await idsFor({ takenAfter: '2023-05-20T10:00:00Z', takenBefore: '2023-06-15T23:30:00Z' })).toEqual([may.id]);
    // 2023-06-16T01:30+02:00 is the June picture's instant: inclusive after, exclusive before.
    expect(await idsFor({ takenAfter: '2023-06-16T01:30:00+02:00' })).toEqual([june.id]);
    expect(await idsFor({ takenBefore: '2023-06-16T01:30:00+02:00', takenAfter: '2023-06-01' })).toEqual([]);
    expect(await idsFor({ takenAfter: '2000-01-01' })).toEqual([may.id, june.id].sort());
  });

  it('combines with words (the media rows answer them)', async () => {
    expect(await idsFor({ q: 'taken', takenAfter: '2023-06-01' })).toEqual([june.id]);
    expect(await idsFor({ q: 'taken' })).toEqual([may.id, june.id, noExif.id].sort());
  });

  it.each(['yesterday', '2023-02-30', '2023-13-01'])('refuses takenAfter=%s with 400', async (value) => {
    const response = await t.http.get('/api/files').query({ takenAfter: value });
    expectError(response, 400, 'VALIDATION_FAILED');
    expect(JSON.stringify(response.body.details)).toContain('takenAfter');
  });

  it('keeps takenAt canonical in the database, which the text index relies on', async () => {
    const [{ hash }] = await t
      .get(DataSource)
      .query<Array<{ hash: string }>>(`SELECT hash FROM media_files WHERE id = $1`, [may.id]);
    const write = (takenAt: string) =>
      t
        .get(DataSource)
        .query(`UPDATE rendition_jobs SET media_info = jsonb_build_object('takenAt', $2::text) WHERE hash = $1`, [
          hash,
          takenAt,
        ]);
    await expect(write('2023-05-20T12:00:00+02:00')).rejects.toThrow(/rendition_jobs_taken_at_canonical/);
    await expect(write('2023-05-20T10:00:00Z')).rejects.toThrow(/rendition_jobs_taken_at_canonical/);
    await write('2023-05-20T10:00:00.000Z');
  });

  it('refuses a bad takenBefore with 400', async () => {
    const response = await t.http.get('/api/files').query({ takenBefore: '2023-06-01T25:00:00Z' });
    expectError(response, 400, 'VALIDATION_FAILED');
    expect(JSON.stringify(response.body.details)).toContain('takenBefore');
  });
});
