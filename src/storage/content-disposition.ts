/**
 * Types a browser only displays: no script, no markup that can load or run anything. Everything else (HTML, SVG,
 * XML, JavaScript, unknown types...) may run script in the origin that serves it, so a URL we sign never serves it
 * `inline`: the storage origin would be the victim, and for public files anyone could be sent there.
 */
const PASSIVE_INLINE_TYPE =
  /^(?:image\/(?:png|jpeg|gif|webp|avif|bmp|heic|heif|tiff)|video\/[a-z0-9.+-]+|audio\/[a-z0-9.+-]+|application\/pdf|text\/plain)$/;

// eslint-disable-next-line no-control-regex -- matching control characters is the point: a header value drops them
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g;

/** Whether content of `contentType` may be served `inline` by a URL we sign (unknown type: no). */
export function mayRenderInline(contentType: string | undefined): boolean {
  const essence = contentType?.split(';')[0].trim().toLowerCase();
  return essence !== undefined && PASSIVE_INLINE_TYPE.test(essence);
}

/**
 * A `Content-Disposition` value per RFC 6266: an ASCII `filename` every client understands plus, when the name is
 * not plain ASCII, `filename*` (RFC 5987, UTF-8, percent-encoded) which modern clients prefer.
 */
export function contentDisposition(filename: string, inline = false): string {
  const type = inline ? 'inline' : 'attachment';
  const cleaned =
    filename
      .replace(CONTROL_CHARACTERS, '')
      // A lone surrogate cannot be UTF-8 encoded (encodeURIComponent would throw).
      .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
      .trim() || 'download';
  const fallback = asciiFallback(cleaned);
  if (fallback === cleaned) return `${type}; filename="${fallback}"`;
  return `${type}; filename="${fallback}"; filename*=UTF-8''${encodeRfc5987(cleaned)}`;
}

/** Accents dropped, anything else outside printable ASCII (and `"`, `\`, `%`, `/`) replaced by `_`. */
function asciiFallback(filename: string): string {
  return filename
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]|["\\%/]/g, '_');
}

/** RFC 5987 `value-chars`: attr-chars as they are, everything else as UTF-8 percent-escapes. */
function encodeRfc5987(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}
