import { loggableUrl } from './loggable-url.js';

describe('loggableUrl', () => {
  const signed =
    '/api/media/files/0b7f4a52-1c1e-4d5e-9a43-3f0d2b8c9e11/' +
    `${'a'.repeat(64)}/public/1767232800/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde`;

  it("drops a signed media URL's signature, keeping what names the file", () => {
    expect(loggableUrl(signed)).toBe(signed.replace(/[^/]+$/, '[signature]'));
    expect(loggableUrl(`${signed}?download=1`)).toBe(`${signed.replace(/[^/]+$/, '[signature]')}?download=1`);
  });

  it('leaves every other URL as it is', () => {
    expect(loggableUrl('/api/files/0b7f4a52-1c1e-4d5e-9a43-3f0d2b8c9e11/content')).toBe(
      '/api/files/0b7f4a52-1c1e-4d5e-9a43-3f0d2b8c9e11/content',
    );
    expect(loggableUrl('/api/media/files/short')).toBe('/api/media/files/short');
    expect(loggableUrl(undefined)).toBeUndefined();
  });
});
