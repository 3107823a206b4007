import fc from 'fast-check';
import { contentDisposition, mayRenderInline } from './content-disposition.js';

describe('contentDisposition', () => {
  it('uses a plain quoted filename for printable ASCII', () => {
    expect(contentDisposition('report.pdf')).toBe('attachment; filename="report.pdf"');
    expect(contentDisposition('report.pdf', true)).toBe('inline; filename="report.pdf"');
  });

  it('adds filename* (RFC 5987) with an ASCII fallback for other names', () => {
    expect(contentDisposition('Été.jpg')).toBe(`attachment; filename="Ete.jpg"; filename*=UTF-8''%C3%89t%C3%A9.jpg`);
    expect(contentDisposition('写真.png')).toBe(
      `attachment; filename="__.png"; filename*=UTF-8''%E5%86%99%E7%9C%9F.png`,
    );
  });

  it('cannot be broken out of: quotes, backslashes and control characters never reach the quoted string', () => {
    expect(contentDisposition('a"b\\c.txt')).toBe(`attachment; filename="a_b_c.txt"; filename*=UTF-8''a%22b%5Cc.txt`);
    expect(contentDisposition('evil\r\nSet-Cookie: x=1.txt')).toBe('attachment; filename="evilSet-Cookie: x=1.txt"');
  });

  it('falls back to "download" for an empty name', () => {
    expect(contentDisposition('')).toBe('attachment; filename="download"');
    expect(contentDisposition('\u0000 ')).toBe('attachment; filename="download"');
  });

  it('answers a valid header value for any string, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.boolean(), (name, inline) => {
        const value = contentDisposition(name, inline);
        // Node refuses header values with characters outside latin1 or control characters.
        return /^(attachment|inline); filename="[\x20-\x7e]*"(; filename\*=UTF-8''[A-Za-z0-9%!#$&+.^_`|~-]+)?$/.test(
          value,
        );
      }),
    );
    expect(contentDisposition('ab\ud800.txt')).toContain(`filename*=UTF-8''ab%EF%BF%BD.txt`);
  });
});

describe('mayRenderInline', () => {
  it.each([
    'image/png',
    'image/jpeg',
    'video/mp4',
    'audio/mpeg',
    'application/pdf',
    'text/plain',
    'Text/Plain; charset=utf-8',
  ])('lets passive %s render inline', (contentType) => expect(mayRenderInline(contentType)).toBe(true));

  it.each([
    'text/html',
    'image/svg+xml',
    'application/xml',
    'text/xml',
    'application/xhtml+xml',
    'text/javascript',
    'application/json',
    'application/octet-stream',
    'image/svg+xml; charset=utf-8',
    '',
    undefined,
  ])('never lets %s render inline', (contentType) => expect(mayRenderInline(contentType)).toBe(false));
});
