import exifr from 'exifr';
import type { MediaInfo } from './media-info.js';

type ExifTags = Record<string, unknown>;

/**
 * Camera metadata from an image's EXIF (also inside TIFF, HEIF/AVIF, PNG eXIf, WebP). Unreadable or absent EXIF
 * is not a failure: an image renders without it. Values are read raw (no reviving) so that a camera clock's
 * `2024:05:06 07:08:09` is not silently shifted into this server's time zone.
 */
export async function readExif(input: string | Buffer): Promise<Partial<MediaInfo>> {
  let tags: ExifTags | undefined;
  try {
    tags = (await exifr.parse(input, {
      tiff: true,
      exif: true,
      gps: true,
      ifd1: false,
      xmp: false,
      icc: false,
      iptc: false,
      translateValues: false,
      reviveValues: false,
    })) as ExifTags | undefined;
  } catch {
    return {};
  }
  if (!tags) return {};
  return {
    takenAt: takenAt(tags),
    camera: { make: text(tags.Make), model: text(tags.Model) },
    lens: text(tags.LensModel) ?? text(tags.LensMake),
    exposure: {
      exposureTime: number(tags.ExposureTime),
      fNumber: number(tags.FNumber),
      iso: number(Array.isArray(tags.ISO) ? tags.ISO[0] : tags.ISO),
      focalLength: number(tags.FocalLength),
    },
    gps: gps(tags),
  };
}

function takenAt(tags: ExifTags): string | undefined {
  const raw = text(tags.DateTimeOriginal) ?? text(tags.CreateDate) ?? text(tags.DateTime);
  const match = raw?.match(/^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/);
  if (!match) return undefined;
  const [, year, month, day, hours, minutes, seconds] = match;
  const offset = text(tags.OffsetTimeOriginal) ?? text(tags.OffsetTime);
  const zone = offset && /^[+-]\d{2}:\d{2}$/.test(offset) ? offset : 'Z';
  const date = new Date(`${year}-${month}-${day}T${hours}:${minutes}:${seconds}${zone}`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function gps(tags: ExifTags): MediaInfo['gps'] {
  const latitude = degrees(tags.GPSLatitude, tags.GPSLatitudeRef, 'S');
  const longitude = degrees(tags.GPSLongitude, tags.GPSLongitudeRef, 'W');
  if (latitude === undefined || longitude === undefined) return undefined;
  if (Math.abs(latitude) > 90 || Math.abs(longitude) > 180) return undefined;
  const altitude = number(tags.GPSAltitude);
  const below = tags.GPSAltitudeRef === 1 || (tags.GPSAltitudeRef as number[] | undefined)?.[0] === 1;
  return { latitude, longitude, altitude: altitude === undefined ? undefined : below ? -altitude : altitude };
}

function degrees(value: unknown, ref: unknown, negative: string): number | undefined {
  const parts = Array.isArray(value) ? value.map(Number) : typeof value === 'number' ? [value] : [];
  if (parts.length === 0 || parts.some((part) => !Number.isFinite(part))) return undefined;
  const [d, m = 0, s = 0] = parts;
  const result = d + m / 60 + s / 3600;
  return text(ref)?.toUpperCase() === negative ? -result : result;
}

function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  // EXIF strings are NUL-padded and sometimes hold control characters; keep them printable and short.
  const cleaned = [...value]
    .filter((character) => character.charCodeAt(0) >= 0x20 && character.charCodeAt(0) !== 0x7f)
    .join('')
    .trim()
    .slice(0, 200);
  return cleaned || undefined;
}

function number(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
