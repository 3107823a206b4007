import { hasVisibleCharacter } from '../../common/visible-text.js';

const MAX_FILENAME_BYTES = 255;
// Control characters (C0, DEL, C1); a filename also loses the bidi overrides and isolates that could disguise it.
// eslint-disable-next-line no-control-regex -- matching control characters is the point: they are removed
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;
// eslint-disable-next-line no-control-regex -- as above
const UNSAFE_IN_FILENAME = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * A safe display name from a client-supplied filename: no directory part, no control characters, NFC, at most
 * 255 UTF-8 bytes (keeping the extension). Answers `undefined` when nothing usable is left.
 */
export function sanitizeFilename(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  const base = raw.split(/[/\\]/).pop() ?? '';
  const cleaned = base.normalize('NFC').replace(UNSAFE_IN_FILENAME, '').trim();
  if (!hasVisibleCharacter(cleaned) || /^\.+$/.test(cleaned)) return undefined;
  return truncateUtf8KeepingExtension(cleaned, MAX_FILENAME_BYTES);
}

/** `/a//b/../c/` → `/a/b/c`: no empty, `.` or `..` segments, no control characters; `''` for the root. */
export function sanitizeFolderPath(raw: string | undefined): string {
  if (!raw) return '';
  const segments = raw
    .split(/[/\\]/)
    .map((segment) => segment.normalize('NFC').replace(CONTROL_CHARACTERS, '').trim())
    .filter((segment) => segment !== '' && segment !== '.' && segment !== '..');
  return segments.length ? `/${segments.join('/')}`.slice(0, 1024) : '';
}

export function extensionOf(filename: string): string {
  const dot = filename.lastIndexOf('.');
  return dot > 0 ? filename.slice(dot + 1).toLowerCase() : '';
}

function truncateUtf8KeepingExtension(name: string, maxBytes: number): string {
  if (Buffer.byteLength(name) <= maxBytes) return name;
  const extension = extensionOf(name);
  const suffix = extension && extension.length <= 16 ? `.${extension}` : '';
  let stem = suffix ? name.slice(0, -suffix.length) : name;
  while (Buffer.byteLength(stem + suffix) > maxBytes) stem = Array.from(stem).slice(0, -1).join('');
  return stem + suffix;
}
