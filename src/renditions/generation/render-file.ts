import { fileTypeFromBuffer, fileTypeFromFile } from 'file-type';
import { readFile, stat } from 'node:fs/promises';
import { RENDITION_BOX } from '../renditions.constants.js';
import { readExif } from './exif.js';
import { posterFrame, probeMedia } from './ffmpeg.js';
import { renderImage, type ImageLimits, type RenderedImage } from './image.js';
import { compactMediaInfo, type MediaInfo } from './media-info.js';
import { renderPdfFirstPage } from './pdf.js';
import { RenditionFailure } from './rendition-failure.js';

export type ContentKind = 'image' | 'video' | 'audio' | 'pdf';

export interface RenderLimits {
  /** Per decoding step (one ffmpeg run, one sharp pipeline, the PDF page): killed or aborted past it. */
  timeoutSeconds: number;
  /** Decompression bombs: images (and PDF pages' embedded images) above this pixel count are refused. */
  maxInputPixels: number;
  /** PDFs are parsed in memory; larger ones are refused. */
  maxPdfBytes: number;
  /** Awaited between the steps of an image's render (see `ImageLimits.betweenSteps`). */
  betweenSteps?: () => Promise<void>;
  /** Test hook: observe ffmpeg's pid. */
  onSpawn?: (pid: number) => void;
}

export const DEFAULT_RENDER_LIMITS: RenderLimits = {
  timeoutSeconds: 60,
  maxInputPixels: 100_000_000,
  maxPdfBytes: 256 * 1024 * 1024,
};

export type RenderOutcome =
  | {
      status: 'ready';
      kind: ContentKind;
      /** What the bytes are (sniffed), whatever the upload claimed. */
      contentType: string;
      /** Empty for audio: it has metadata but nothing to look at. */
      renditions: RenderedImage[];
      placeholder?: string;
      mediaInfo: MediaInfo;
    }
  | { status: 'unsupported'; contentType?: string };

/** By sniffed type only: the name and declared type of an upload say nothing reliable about its bytes. */
const KINDS: Record<string, ContentKind> = {
  'image/jpeg': 'image',
  'image/png': 'image',
  'image/webp': 'image',
  'image/gif': 'image',
  'image/avif': 'image',
  'image/tiff': 'image',
  'video/mp4': 'video',
  'video/quicktime': 'video',
  'video/webm': 'video',
  'video/x-matroska': 'video',
  'video/matroska': 'video',
  'video/x-msvideo': 'video',
  'video/vnd.avi': 'video',
  'video/mpeg': 'video',
  'video/mp2t': 'video',
  'video/x-flv': 'video',
  'video/ogg': 'video',
  'video/3gpp': 'video',
  'video/3gpp2': 'video',
  'video/x-ms-asf': 'video',
  'audio/mpeg': 'audio',
  'audio/mp4': 'audio',
  'audio/x-m4a': 'audio',
  'audio/aac': 'audio',
  'audio/ogg': 'audio',
  'audio/opus': 'audio',
  'audio/flac': 'audio',
  'audio/x-flac': 'audio',
  'audio/wav': 'audio',
  'audio/x-wav': 'audio',
  'audio/vnd.wave': 'audio',
  'audio/aiff': 'audio',
  'audio/x-aiff': 'audio',
  'application/pdf': 'pdf',
};

/** What a content's bytes are, for the renderer: `undefined` when we render nothing for them. */
export async function detectKind(path: string): Promise<{ kind?: ContentKind; contentType?: string }> {
  const type = await fileTypeFromFile(path).catch(() => undefined);
  return { kind: type ? KINDS[type.mime] : undefined, contentType: type?.mime };
}

/** The same, from the first bytes of a content (enough for every type we render): skips reading the rest. */
export async function detectKindOfHead(head: Uint8Array): Promise<{ kind?: ContentKind; contentType?: string }> {
  const type = await fileTypeFromBuffer(head).catch(() => undefined);
  return { kind: type ? KINDS[type.mime] : undefined, contentType: type?.mime };
}

/** How many first bytes `detectKindOfHead` needs. */
export const SNIFF_BYTES = 64 * 1024;

/**
 * Renders a content from a local file: thumbnail and preview (WebP), placeholder and `mediaInfo`. Throws a
 * `RenditionFailure` when the file is of a renderable kind but can't be rendered (truncated, bomb, timeout).
 */
export async function renderFile(path: string, limits: RenderLimits = DEFAULT_RENDER_LIMITS): Promise<RenderOutcome> {
  const { kind, contentType } = await detectKind(path);
  if (!kind || !contentType) return { status: 'unsupported', contentType };
  const imageLimits = imageLimitsOf(limits);
  const ffmpegLimits = {
    timeoutSeconds: limits.timeoutSeconds,
    maxPixels: limits.maxInputPixels,
    onSpawn: limits.onSpawn,
  };

  switch (kind) {
    case 'image':
      return renderStill(path, contentType, limits);
    case 'video':
    case 'audio': {
      const probe = await probeMedia(path, ffmpegLimits);
      if (!probe.hasVideo) return ready('audio', contentType, [], undefined, probe.info);
      const image = await renderImage(await posterFrame(path, ffmpegLimits), imageLimits);
      return ready(kind, contentType, image.renditions, image.placeholder, probe.info);
    }
    case 'pdf': {
      const { size } = await stat(path);
      if (size > limits.maxPdfBytes) throw new RenditionFailure(`PDF larger than ${limits.maxPdfBytes} bytes`);
      const page = await renderPdfFirstPage(await readFile(path), {
        timeoutSeconds: limits.timeoutSeconds,
        box: RENDITION_BOX.preview,
        maxImagePixels: limits.maxInputPixels,
      });
      const image = await renderImage(page.png, imageLimits);
      return ready(kind, contentType, image.renditions, image.placeholder, { pageCount: page.pageCount });
    }
  }
}

/**
 * `renderFile` for an image, from its path or from its bytes in memory (the worker keeps small images there rather
 * than write and read them back); `contentType` is what `detectKind` found.
 */
export async function renderStill(
  input: string | Buffer,
  contentType: string,
  limits: RenderLimits = DEFAULT_RENDER_LIMITS,
): Promise<RenderOutcome> {
  const image = await renderImage(input, imageLimitsOf(limits));
  const exif = await readExif(input);
  return ready('image', contentType, image.renditions, image.placeholder, {
    ...exif,
    width: image.width,
    height: image.height,
  });
}

/** What an image pipeline of this render (the image itself, a poster frame, a PDF page) is bound by. */
function imageLimitsOf(limits: RenderLimits): ImageLimits {
  return {
    maxInputPixels: limits.maxInputPixels,
    timeoutSeconds: limits.timeoutSeconds,
    betweenSteps: limits.betweenSteps,
  };
}

function ready(
  kind: ContentKind,
  contentType: string,
  renditions: RenderedImage[],
  placeholder: string | undefined,
  mediaInfo: MediaInfo,
): RenderOutcome {
  return { status: 'ready', kind, contentType, renditions, placeholder, mediaInfo: compactMediaInfo(mediaInfo) };
}
