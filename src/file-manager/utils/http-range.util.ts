import type { ByteRange } from '../../storage/object-storage.js';

/**
 * Reads a `Range` header (RFC 9110 §14) against a representation of `size` bytes. Only single byte ranges are
 * served: a header we do not understand or with several ranges is ignored (undefined: send everything), which
 * the RFC allows. A syntactically valid range that selects no byte is `'unsatisfiable'` (416).
 */
export function parseRange(header: string, size: number): ByteRange | 'unsatisfiable' | undefined {
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return undefined;
  const [, first, last] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    // Suffix range: the last N bytes.
    const length = Number(last);
    if (length === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return undefined; // Invalid: ignored like any malformed range.
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

/** `If-None-Match` against a strong ETag: `*`, or a list where any entry (weak or not) names the same tag. */
export function etagMatches(header: string, etag: string): boolean {
  return header
    .split(',')
    .map((entry) => entry.trim())
    .some((entry) => entry === '*' || entry.replace(/^W\//, '') === etag);
}
