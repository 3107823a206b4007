import exifr from 'exifr';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { thumbHashToRGBA } from 'thumbhash';
import {
  animatedGif,
  bombPngHeader,
  cameraJpeg,
  solidImage,
  testAudio,
  testPdf,
  testVideo,
  rotatedVideo,
  truncated,
} from '../../../test/support/media.js';
import { probeMedia } from './ffmpeg.js';
import type { RenderedImage } from './image.js';
import { renderPdfFirstPage } from './pdf.js';
import { DEFAULT_RENDER_LIMITS, renderFile, type RenderLimits, type RenderOutcome } from './render-file.js';
import { RenditionFailure } from './rendition-failure.js';

let directory: string;
let counter = 0;

beforeAll(async () => (directory = await mkdtemp(join(tmpdir(), 'mv-render-'))));
afterAll(() => rm(directory, { recursive: true, force: true }));

async function render(bytes: Buffer, limits: Partial<RenderLimits> = {}): Promise<RenderOutcome> {
  counter += 1;
  const path = join(directory, `input-${counter}`);
  await writeFile(path, bytes);
  return renderFile(path, { ...DEFAULT_RENDER_LIMITS, timeoutSeconds: 30, ...limits });
}

async function ready(bytes: Buffer, limits: Partial<RenderLimits> = {}) {
  const outcome = await render(bytes, limits);
  if (outcome.status !== 'ready') throw new Error(`expected ready, got ${outcome.status}`);
  return outcome;
}

function rendition(outcome: { renditions: RenderedImage[] }, kind: 'thumbnail' | 'preview'): RenderedImage {
  const found = outcome.renditions.find((candidate) => candidate.kind === kind);
  if (!found) throw new Error(`no ${kind}`);
  return found;
}

/** What the encoded output really is (not what the generator says it is). */
async function decoded(image: RenderedImage) {
  const metadata = await sharp(image.data).metadata();
  return { format: metadata.format, width: metadata.width, height: metadata.height, exif: metadata.exif };
}

describe('images', () => {
  it('applies EXIF orientation, keeps camera data in mediaInfo, strips all metadata from renditions', async () => {
    const outcome = await ready(await cameraJpeg());

    expect(outcome.kind).toBe('image');
    expect(outcome.contentType).toBe('image/jpeg');
    // Stored 200×100 with "rotate 90°": displayed (and rendered) 100×200, never enlarged.
    expect(outcome.mediaInfo).toMatchObject({ width: 100, height: 200 });
    expect(await decoded(rendition(outcome, 'preview'))).toMatchObject({ format: 'webp', width: 100, height: 200 });
    expect(rendition(outcome, 'preview')).toMatchObject({ width: 100, height: 200, contentType: 'image/webp' });

    expect(outcome.mediaInfo).toEqual({
      width: 100,
      height: 200,
      takenAt: '2024-05-06T05:08:09.000Z',
      camera: { make: 'TestCam', model: 'X100' },
      lens: 'Lens 35mm',
      exposure: { exposureTime: 0.004, fNumber: 2.8, iso: 200, focalLength: 35 },
      gps: { latitude: expect.closeTo(48.8583, 3), longitude: expect.closeTo(-2.35, 3) },
    });

    for (const image of outcome.renditions) {
      const { exif } = await decoded(image);
      expect(exif).toBeUndefined();
      expect(await exifr.gps(image.data).catch(() => undefined)).toBeUndefined();
      expect(image.data.includes(Buffer.from('TestCam'))).toBe(false);
    }
  });

  it('fits the preview in 1600×1600 and the thumbnail in 320×320, and answers a decodable placeholder', async () => {
    const outcome = await ready(await solidImage(4000, 3000).jpeg().toBuffer());

    expect(await decoded(rendition(outcome, 'preview'))).toMatchObject({ width: 1600, height: 1200 });
    expect(await decoded(rendition(outcome, 'thumbnail'))).toMatchObject({ width: 320, height: 240 });
    expect(outcome.mediaInfo).toEqual({ width: 4000, height: 3000 });

    const placeholder = Buffer.from(outcome.placeholder ?? '', 'base64');
    expect(placeholder.length).toBeGreaterThan(5);
    const { w, h, rgba } = thumbHashToRGBA(placeholder);
    expect(w).toBeGreaterThan(h); // landscape
    // The solid #cc2200 comes back as a red-dominated blur.
    expect(rgba[0]).toBeGreaterThan(rgba[2] + 80);
  });

  it.each([
    ['png', (image: Sharp) => image.png()],
    ['webp', (image: Sharp) => image.webp()],
    ['gif', (image: Sharp) => image.gif()],
    ['avif', (image: Sharp) => image.avif()],
    ['tiff', (image: Sharp) => image.tiff()],
  ])('renders %s', async (_format, encode) => {
    const outcome = await ready(await encode(solidImage(800, 400)).toBuffer());

    expect(outcome.kind).toBe('image');
    expect(await decoded(rendition(outcome, 'preview'))).toMatchObject({ format: 'webp', width: 800, height: 400 });
    expect(await decoded(rendition(outcome, 'thumbnail'))).toMatchObject({ format: 'webp', width: 320, height: 160 });
  });

  it('waits between its steps for as long as betweenSteps holds it (where the worker gives way)', async () => {
    let calls = 0;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let settled = false;
    const rendering = ready(await solidImage(1200, 900).jpeg().toBuffer(), {
      betweenSteps: async () => {
        calls += 1;
        await held;
      },
    }).finally(() => (settled = true));

    await new Promise((resolve) => setTimeout(resolve, 300)); // the whole render takes a few ms
    expect(calls).toBe(1);
    expect(settled).toBe(false);

    release();
    const outcome = await rendering;
    expect(outcome.renditions.map((image) => image.kind).sort()).toEqual(['preview', 'thumbnail']);
    expect(calls).toBe(1);
  });

  it('renders the first frame of an animation, as a still picture', async () => {
    const outcome = await ready(await animatedGif());

    const thumbnail = rendition(outcome, 'thumbnail');
    const metadata = await sharp(thumbnail.data).metadata();
    expect(metadata.pages ?? 1).toBe(1);
    const { dominant } = await sharp(thumbnail.data).stats();
    expect(dominant).toMatchObject({ r: expect.any(Number), b: expect.any(Number) });
    expect(dominant.r).toBeGreaterThan(200); // the red first frame…
    expect(dominant.b).toBeLessThan(50); // …not the blue second one
  });

  it('refuses a decompression bomb from its header, before decoding', async () => {
    await expect(render(bombPngHeader(60_000, 60_000))).rejects.toThrow(/pixel limit/i);
  });

  it('refuses a real image above the configured pixel limit', async () => {
    const image = await solidImage(2000, 2000).png().toBuffer();

    await expect(render(image, { maxInputPixels: 1_000_000 })).rejects.toThrow(RenditionFailure);
    await expect(render(image, { maxInputPixels: 4_000_000 })).resolves.toMatchObject({ status: 'ready' });
  });

  it('renders a 1×50,000 image', async () => {
    const outcome = await ready(await solidImage(1, 50_000).png().toBuffer());

    expect(await decoded(rendition(outcome, 'preview'))).toMatchObject({ width: 1, height: 1600 });
    expect(await decoded(rendition(outcome, 'thumbnail'))).toMatchObject({ width: 1, height: 320 });
    expect(outcome.placeholder).toEqual(expect.any(String));
    expect(outcome.mediaInfo).toEqual({ width: 1, height: 50_000 });
  });

  it('fails on a truncated JPEG instead of rendering half a picture', async () => {
    const photo = await solidImage(800, 600).jpeg().toBuffer();
    await expect(render(truncated(photo))).rejects.toThrow(RenditionFailure);
  });
});

describe('video and audio', () => {
  it('draws a poster frame and reads duration, size and codecs', async () => {
    const outcome = await ready(await testVideo(640, 360, 2));

    expect(outcome.kind).toBe('video');
    expect(outcome.contentType).toBe('video/mp4');
    expect(outcome.mediaInfo).toEqual({
      durationSeconds: expect.closeTo(2, 0),
      width: 640,
      height: 360,
      videoCodec: 'h264',
      audioCodec: 'aac',
    });
    expect(await decoded(rendition(outcome, 'preview'))).toMatchObject({ format: 'webp', width: 640, height: 360 });
    expect(await decoded(rendition(outcome, 'thumbnail'))).toMatchObject({ width: 320, height: 180 });
    expect(outcome.placeholder).toEqual(expect.any(String));
  });

  it('applies a phone video rotation tag to the size and the poster frame', async () => {
    const outcome = await ready(await rotatedVideo());

    expect(outcome.mediaInfo).toMatchObject({ width: 240, height: 320 });
    expect(await decoded(rendition(outcome, 'preview'))).toMatchObject({ width: 240, height: 320 });
  });

  it('reads the duration of audio, which has nothing to draw', async () => {
    const outcome = await ready(await testAudio(3));

    expect(outcome.kind).toBe('audio');
    expect(outcome.renditions).toEqual([]);
    expect(outcome.mediaInfo).toEqual({ durationSeconds: expect.closeTo(3, 0), audioCodec: 'mp3' });
  });

  it('refuses to decode a frame above the pixel limit', async () => {
    const video = await testVideo(640, 360, 1);

    await expect(render(video, { maxInputPixels: 200_000 })).rejects.toThrow(/could not extract a frame/);
    await expect(render(video, { maxInputPixels: 250_000 })).resolves.toMatchObject({ status: 'ready' });
  });

  it('fails on a truncated video (its index, at the end, is missing)', async () => {
    await expect(render(truncated(await testVideo()))).rejects.toThrow(RenditionFailure);
  });

  it('kills an ffmpeg that hangs and fails the render', async () => {
    // Opening a FIFO nobody writes to blocks ffmpeg forever: a stand-in for any input that makes it hang.
    const fifo = join(directory, 'never-written.fifo');
    execFileSync('mkfifo', [fifo]);
    let pid: number | undefined;

    await expect(probeMedia(fifo, { timeoutSeconds: 1, onSpawn: (spawned) => (pid = spawned) })).rejects.toThrow(
      /time limit/,
    );
    expect(pid).toEqual(expect.any(Number));
    // The process is gone (killed and reaped), not left behind.
    expect(() => process.kill(pid as number, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });
});

describe('polyglots', () => {
  it('renders what the bytes start as: a JPEG with a PDF appended is an image', async () => {
    const polyglot = Buffer.concat([await solidImage(300, 200).jpeg().toBuffer(), testPdf(5)]);

    const outcome = await ready(polyglot);

    expect(outcome).toMatchObject({ kind: 'image', contentType: 'image/jpeg', mediaInfo: { width: 300, height: 200 } });
  });
});

describe('PDF', () => {
  it('draws the first page and counts the pages', async () => {
    const outcome = await ready(testPdf(3));

    expect(outcome.kind).toBe('pdf');
    expect(outcome.mediaInfo).toEqual({ pageCount: 3 });
    // US letter (612×792 pt) fitted in 1600×1600.
    expect(await decoded(rendition(outcome, 'preview'))).toMatchObject({ format: 'webp', width: 1236, height: 1600 });
    expect(await decoded(rendition(outcome, 'thumbnail'))).toMatchObject({ width: 247, height: 320 });
    // White paper with a blue square: not an empty (transparent or black) canvas.
    const { channels } = await sharp(rendition(outcome, 'preview').data).stats();
    expect(channels[0].mean).toBeGreaterThan(200);
  });

  it('ends the PDF thread at the time limit', async () => {
    // 10 ms: the thread cannot even load pdf.js in that time, so the limit is what ends it.
    await expect(renderPdfFirstPage(testPdf(1), { timeoutSeconds: 0.01, box: 1600 })).rejects.toThrow(/time limit/);
  });

  it('fails on a truncated PDF', async () => {
    await expect(render(truncated(testPdf(2)))).rejects.toThrow(RenditionFailure);
  });
});

describe('anything else', () => {
  it('is unsupported, not failed', async () => {
    await expect(render(Buffer.from('just some text\n'.repeat(100)))).resolves.toEqual({
      status: 'unsupported',
      contentType: undefined,
    });
    const zip = Buffer.from('504b0304140000000800', 'hex');
    await expect(render(Buffer.concat([zip, Buffer.alloc(100)]))).resolves.toMatchObject({ status: 'unsupported' });
  });
});
