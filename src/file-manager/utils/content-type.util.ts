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
  // Archives that are programs or install one: a JAR, an Android app, browser extensions, system packages.
  'application/java-archive',
  'application/vnd.android.package-archive',
  'application/x-google-chrome-extension',
  'application/x-xpinstall',
  'application/x-deb',
  'application/x-rpm',
  // Files Windows acts on when opened: shortcuts (run a command line), registry imports, compiled help (scripts).
  'application/x.ms.shortcut',
  'application/x-ms-regedit',
  'application/vnd.ms-htmlhelp',
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
  const executable = executableSignature(head);
  if (executable) throw new UnsupportedTypeError(executable);
  const detected = await fileTypeFromBuffer(head);
  if (detected) {
    if (EXECUTABLE_TYPES.has(detected.mime)) throw new UnsupportedTypeError(detected.mime);
    const fileType = fileTypeOf(detected.mime);
    return { contentType: detected.mime, fileType, ...(fileType === 'image' ? dimensionsOf(head) : noDimensions) };
  }
  if (looksLikeText(head)) {
    const known = TEXT_BY_EXTENSION[extensionOf(filename)];
    if (known) return { ...known, ...(known.fileType === 'image' ? dimensionsOf(head) : noDimensions) };
    return { contentType: 'text/plain', fileType: 'document', ...noDimensions };
  }
  return { contentType: 'application/octet-stream', fileType: 'other', ...noDimensions };
}

const noDimensions = { width: null, height: null };

/**
 * Magic numbers of executables that file-type misses or misnames, checked before it:
 * - `CAFEBABE` / `CAFEBABF` is a Mach-O universal ("fat") binary or a Java class; file-type tells them apart by
 *   the next word and answers nothing for some of each (a fat binary of 0 archs, a class file of minor version > 0).
 * - An interpreter line (`#!`) makes a text file a script. Any encoding a kernel or interpreter may accept counts:
 *   after a UTF-8 BOM or leading whitespace, and in UTF-16/UTF-32 with or without a BOM (a UTF-16LE BOM reads as an
 *   MPEG audio frame header to file-type).
 */
function executableSignature(head: Buffer): string | undefined {
  if (head.length >= 4) {
    const magic = head.readUInt32BE(0);
    if (magic === 0xcafebabe || magic === 0xcafebabf || magic === 0xbebafeca || magic === 0xbfbafeca) {
      return 'application/x-mach-binary';
    }
  }
  return startsWithInterpreterLine(head) ? 'text/x-shellscript' : undefined;
}

const LEADING_BLANKS = /^[\ufeff\s]*/u;

function startsWithInterpreterLine(head: Buffer): boolean {
  const start = head.subarray(0, 256);
  return textDecodings(start).some((text) => text.replace(LEADING_BLANKS, '').startsWith('#!'));
}

/** The first bytes read as UTF-8, UTF-16 and UTF-32 (either byte order); undecodable units become U+FFFD. */
function textDecodings(bytes: Buffer): string[] {
  const utf32 = (littleEndian: boolean) => {
    let text = '';
    for (let offset = 0; offset + 4 <= bytes.length; offset += 4) {
      const codePoint = littleEndian ? bytes.readUInt32LE(offset) : bytes.readUInt32BE(offset);
      text += codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : '\ufffd';
    }
    return text;
  };
  const even = bytes.subarray(0, bytes.length - (bytes.length % 2));
  return [
    new TextDecoder('utf-8').decode(bytes),
    new TextDecoder('utf-16le').decode(even),
    new TextDecoder('utf-16le').decode(Buffer.from(even).swap16()),
    utf32(true),
    utf32(false),
  ];
}

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
    // A copy of exactly the head's bytes: image-size reads the whole underlying ArrayBuffer, and a small head is a
    // view into Node's shared buffer pool, so a cut header would get its size from other requests' bytes.
    const { width, height } = imageSize(new Uint8Array(head));
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
