/**
 * Media the specs generate themselves: images with sharp, video and audio with the bundled ffmpeg (lavfi
 * `testsrc` / `sine`), PDFs with a tiny writer, and hostile files (a decompression bomb's header, truncated
 * files). Nothing is checked into the repository.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deflateSync, crc32 } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';
import { ffmpegPath } from '../../src/renditions/generation/ffmpeg.js';

const run = promisify(execFile);

/** A solid picture, `width`×`height`, of one colour. */
export function solidImage(width: number, height: number, colour = '#cc2200'): Sharp {
  return sharp({ create: { width, height, channels: 3, background: colour } });
}

/**
 * A JPEG stored 200×100 whose EXIF says "rotate 90° clockwise" (orientation 6), so it is displayed 100×200,
 * with a camera, a lens, an exposure, a capture time and a GPS position.
 */
export async function cameraJpeg(): Promise<Buffer> {
  return solidImage(200, 100)
    .jpeg()
    .withMetadata({ orientation: 6 })
    .withExifMerge({
      IFD0: { Make: 'TestCam', Model: 'X100' },
      IFD2: {
        DateTimeOriginal: '2024:05:06 07:08:09',
        OffsetTimeOriginal: '+02:00',
        ExposureTime: '1/250',
        FNumber: '28/10',
        ISOSpeedRatings: '200',
        FocalLength: '35/1',
        LensModel: 'Lens 35mm',
      },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '48/1 51/1 30/1',
        GPSLongitudeRef: 'W',
        GPSLongitude: '2/1 21/1 0/1',
      },
    })
    .toBuffer();
}

/** Two frames, red then blue. */
export async function animatedGif(): Promise<Buffer> {
  const red = await solidImage(64, 64, '#ff0000').png().toBuffer();
  const blue = await solidImage(64, 64, '#0000ff').png().toBuffer();
  return sharp([red, blue], { join: { animated: true } })
    .gif()
    .toBuffer();
}

/** The bytes of a PNG file with the given IHDR payload and compressed pixel data. */
function pngFile(header: Buffer, compressedPixels: Buffer): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', compressedPixels),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function pngHeader(width: number, height: number, colourType: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, colourType, 0, 0, 0], 8); // 8-bit samples, no interlace
  return header;
}

/**
 * A valid `size`×`size` RGB PNG of one colour, written synchronously without sharp (distinct colours give
 * distinct content): what the browser specs and the console benchmark upload.
 */
export function solidPng(size: number, [red, green, blue]: [number, number, number]): Buffer {
  const row = Buffer.concat([
    Buffer.from([0]),
    Buffer.from(Array.from({ length: size }, () => [red, green, blue]).flat()),
  ]);
  return pngFile(pngHeader(size, size, 2), deflateSync(Buffer.concat(Array.from({ length: size }, () => row))));
}

/**
 * A PNG whose header claims `width`×`height` pixels, followed by a few bytes of compressed data: what a
 * decompression bomb looks like before anything is decoded.
 */
export function bombPngHeader(width = 60_000, height = 60_000): Buffer {
  return pngFile(pngHeader(width, height, 0), deflateSync(Buffer.alloc(width + 1))); // 8-bit greyscale
}

/** Runs the bundled ffmpeg to make a file of `extension` from lavfi sources; answers its bytes. */
async function ffmpegGenerate(extension: string, args: string[]): Promise<Buffer> {
  const directory = await mkdtemp(join(tmpdir(), 'mv-media-'));
  const path = join(directory, `out.${extension}`);
  try {
    await run(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-nostdin', ...args, '-y', path]);
    return await readFile(path);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** H.264 + AAC in MP4 (index at the end, as cameras write it), `width`×`height`, `seconds` long. */
export function testVideo(width = 320, height = 240, seconds = 2): Promise<Buffer> {
  return ffmpegGenerate('mp4', [
    '-f',
    'lavfi',
    '-i',
    `testsrc=size=${width}x${height}:rate=10:duration=${seconds}`,
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:duration=${seconds}`,
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-shortest',
  ]);
}

/** A phone-style video: stored 320×240 with a rotation in its display matrix, displayed 240×320. */
export async function rotatedVideo(): Promise<Buffer> {
  const directory = await mkdtemp(join(tmpdir(), 'mv-media-'));
  try {
    const source = join(directory, 'source.mp4');
    await writeFile(source, await testVideo(320, 240, 1));
    // The tag survives a stream copy (re-encoding applies it instead of keeping it).
    return await ffmpegGenerate('mp4', ['-i', source, '-c', 'copy', '-metadata:s:v:0', 'rotate=90']);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** A sine tone as MP3. */
export function testAudio(seconds = 3): Promise<Buffer> {
  return ffmpegGenerate('mp3', ['-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`, '-c:a', 'libmp3lame']);
}

/** A PDF of `pages` US-letter pages, each with a heading and a blue square (Helvetica, no embedded fonts). */
export function testPdf(pages = 1): Buffer {
  const objects: string[] = [];
  const add = (body: string) => objects.push(body);
  add('<< /Type /Catalog /Pages 2 0 R >>');
  add(''); // the page tree, filled in once the pages exist
  add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  const kids: number[] = [];
  for (let page = 1; page <= pages; page += 1) {
    const content = `BT /F1 48 Tf 72 700 Td (Page ${page}) Tj ET 0 0 1 rg 72 72 200 200 re f`;
    add(`<< /Length ${content.length} >>\nstream\n${content}\nendstream`);
    const resources = '/Resources << /Font << /F1 3 0 R >> >>';
    const contents = `/Contents ${objects.length} 0 R`;
    kids.push(add(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] ${resources} ${contents} >>`));
  }
  objects[1] = `<< /Type /Pages /Kids [${kids.map((id) => `${id} 0 R`).join(' ')}] /Count ${pages} >>`;
  let text = '%PDF-1.4\n';
  const offsets = objects.map((body, index) => {
    const offset = text.length;
    text += `${index + 1} 0 obj\n${body}\nendobj\n`;
    return offset;
  });
  const xref = text.length;
  text += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  text += offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('');
  text += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(text, 'latin1');
}

/** The first half of `bytes`: what an interrupted copy leaves behind. */
export function truncated(bytes: Buffer): Buffer {
  return bytes.subarray(0, Math.floor(bytes.length / 2));
}
