import { fileTypeFromBuffer } from 'file-type';
import { imageSize } from 'image-size';
import type { FileType } from '../entities/columns.js';
import { extensionOf } from './filename.util.js';

export interface DetectedContent {
  contentType: string;
  fileType: FileType;
  width: number | null;
  height: number | null;
}

/** Formats that run code when opened: never accepted, whatever the file is called. */
const EXECUTABLE_TYPES = new Set([
  'application/x-msdownload',
  'application/x-elf',
  'application/x-mach-binary',
  'application/x-sharedlib',
  'application/vnd.microsoft.portable-executable',
  'application/x-executable',
  'application/x-dosexec',
  'application/vnd.android.dex',
  'application/wasm',
  'application/java-vm',
  'application/x-msi',
  'application/x-ms-installer',
  'application/x-apple-diskimage',
]);

const ARCHIVE_TYPES = new Set([
  'application/zip',
  'application/x-tar',
  'application/gzip',
  'application/x-gzip',
  'application/x-bzip2',
  'application/x-xz',
  'application/x-7z-compressed',
  'application/x-rar-compressed',
  'application/vnd.rar',
  'application/zstd',
  'application/x-lzip',
  'application/x-compress',
]);

const DOCUMENT_TYPES = new Set([
  'application/pdf',
  'application/rtf',
  'application/msword',
  'application/vnd.ms-excel',
  'application/vnd.ms-powerpoint',
  'application/epub+zip',
  'application/x-cfb',
]);

/** Text formats recognised by extension once the bytes are known to be text (file-type has no magic for them). */
const TEXT_BY_EXTENSION: Record<string, { contentType: string; fileType: FileType }> = {
  txt: { contentType: 'text/plain', fileType: 'document' },
  md: { contentType: 'text/markdown', fileType: 'document' },
  csv: { contentType: 'text/csv', fileType: 'document' },
  tsv: { contentType: 'text/tab-separated-values', fileType: 'document' },
  json: { contentType: 'application/json', fileType: 'document' },
  xml: { contentType: 'application/xml', fileType: 'document' },
  html: { contentType: 'text/html', fileType: 'document' },
  htm: { contentType: 'text/html', fileType: 'document' },
  svg: { contentType: 'image/svg+xml', fileType: 'image' },
  srt: { contentType: 'application/x-subrip', fileType: 'document' },
  vtt: { contentType: 'text/vtt', fileType: 'document' },
};

export class UnsupportedTypeError extends Error {
  constructor(readonly contentType: string) {
    super(`Files of type ${contentType} are not accepted`);
  }
}

/**
 * What the bytes are, from their first bytes (magic numbers via `file-type`), not from the name; the name only
 * picks among text formats, which have no magic. Executables are refused. Image dimensions come from the header.
 */
export async function detectContent(head: Buffer, filename: string): Promise<DetectedContent> {
  const detected = await fileTypeFromBuffer(head);
  if (detected) {
    if (EXECUTABLE_TYPES.has(detected.mime)) throw new UnsupportedTypeError(detected.mime);
    const fileType = fileTypeOf(detected.mime);
    return { contentType: detected.mime, fileType, ...(fileType === 'image' ? dimensionsOf(head) : noDimensions) };
  }
  if (looksLikeText(head)) {
    if (head.subarray(0, 2).toString('latin1') === '#!') throw new UnsupportedTypeError('text/x-shellscript');
    const known = TEXT_BY_EXTENSION[extensionOf(filename)];
    if (known) return { ...known, ...(known.fileType === 'image' ? dimensionsOf(head) : noDimensions) };
    return { contentType: 'text/plain', fileType: 'document', ...noDimensions };
  }
  return { contentType: 'application/octet-stream', fileType: 'other', ...noDimensions };
}

const noDimensions = { width: null, height: null };

function fileTypeOf(mime: string): FileType {
  if (mime.startsWith('image/')) return 'image';
  if (mime.startsWith('video/')) return 'video';
  if (mime.startsWith('audio/')) return 'audio';
  if (ARCHIVE_TYPES.has(mime)) return 'archive';
  if (
    DOCUMENT_TYPES.has(mime) ||
    mime.startsWith('text/') ||
    mime.startsWith('application/vnd.openxmlformats-officedocument.') ||
    mime.startsWith('application/vnd.oasis.opendocument.')
  ) {
    return 'document';
  }
  return 'other';
}

function dimensionsOf(head: Buffer): { width: number | null; height: number | null } {
  try {
    const { width, height } = imageSize(head);
    return { width: width ?? null, height: height ?? null };
  } catch {
    // The header is incomplete within the bytes we looked at, or the format has no fixed size: no dimensions.
    return noDimensions;
  }
}

/** Valid UTF-8 without NUL bytes in what we saw (the last up-to-3 bytes may be a cut multi-byte character). */
function looksLikeText(head: Buffer): boolean {
  if (head.length === 0 || head.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, Math.max(0, head.length - 3)));
    return true;
  } catch {
    return false;
  }
}
