import sharp, { type OutputInfo, type Sharp, type SharpOptions } from 'sharp';
import { rgbaToThumbHash } from 'thumbhash';
import { RENDITION_BOX, RENDITION_CONTENT_TYPE, type RenditionKind } from '../renditions.constants.js';
import { describeCause, RenditionFailure } from './rendition-failure.js';

export interface RenderedImage {
  kind: RenditionKind;
  data: Buffer;
  contentType: string;
  width: number;
  height: number;
}

export interface ImageLimits {
  /** Larger inputs are refused before decoding (decompression bombs). */
  maxInputPixels: number;
  timeoutSeconds: number;
  /**
   * Awaited between the render's steps, once the preview is made and before the thumbnail (about a quarter of the
   * work): the worker gives way to requests there, so a burst that begins during a render waits for the step in
   * hand, not for the rest of the render.
   */
  betweenSteps?: () => Promise<void>;
}

export interface ImageRenditions {
  renditions: RenderedImage[];
  /** thumbhash of the thumbnail, base64: a ~25-byte blur-up placeholder. */
  placeholder: string;
  /** Displayed size of the source, orientation applied. */
  width: number;
  height: number;
}

// No libvips operation cache: every source is rendered once, so it would only hold memory a worker should give back.
sharp.cache(false);

/**
 * Thumbnail and preview of an image (or of a frame or page another generator drew), as WebP: EXIF orientation
 * applied, every metadata block dropped (sharp writes none unless asked, so no GPS leaks through a rendition),
 * only the first frame of an animation, pixel count checked from the header before any decoding.
 */
export async function renderImage(input: string | Buffer, limits: ImageLimits): Promise<ImageRenditions> {
  const options: SharpOptions = {
    limitInputPixels: limits.maxInputPixels,
    // A truncated or corrupt file is a failure, not a half-grey picture.
    failOn: 'error',
    sequentialRead: true,
    animated: false,
  };
  try {
    const fit = (image: Sharp, kind: RenditionKind) =>
      image
        .resize(RENDITION_BOX[kind], RENDITION_BOX[kind], { fit: 'inside', withoutEnlargement: true })
        // Effort 2 encodes a preview about 40% faster than the default 4 for ~5% more bytes.
        .webp(kind === 'thumbnail' ? { quality: 75, effort: 4 } : { quality: 82, effort: 2 })
        .timeout({ seconds: limits.timeoutSeconds });

    const preview = await fit(sharp(input, options).rotate(), 'preview').toBuffer({ resolveWithObject: true });
    await limits.betweenSteps?.();
    // The thumbnail comes from the preview: one decode of the (possibly huge) source, not two.
    const thumbnail = await fit(sharp(preview.data), 'thumbnail').toBuffer({ resolveWithObject: true });
    const source = await sharp(input, options).metadata();
    const oriented = source.autoOrient ?? { width: source.width, height: source.height };
    return {
      renditions: [
        { kind: 'thumbnail', data: thumbnail.data, contentType: RENDITION_CONTENT_TYPE, ...size(thumbnail.info) },
        { kind: 'preview', data: preview.data, contentType: RENDITION_CONTENT_TYPE, ...size(preview.info) },
      ],
      placeholder: await thumbhashOf(thumbnail.data),
      width: oriented.width,
      height: oriented.height,
    };
  } catch (error) {
    if (error instanceof RenditionFailure) throw error;
    throw new RenditionFailure(`image could not be rendered: ${describeCause(error)}`, { cause: error });
  }
}

/** thumbhash works on at most 100×100 RGBA pixels. */
async function thumbhashOf(image: Buffer): Promise<string> {
  const { data, info } = await sharp(image)
    .resize(100, 100, { fit: 'inside' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return Buffer.from(rgbaToThumbHash(info.width, info.height, data)).toString('base64');
}

function size(info: OutputInfo): { width: number; height: number } {
  return { width: info.width, height: info.height };
}
