import type { ConfigType } from '@nestjs/config';
import type { authConfig } from '../../config/configuration.js';
import { MediaUrlSigner } from './media-url-signer.js';

const config = (jwtSecret: string) =>
  ({ jwtSecret, mediaUrlWindowSeconds: 3600 }) as unknown as ConfigType<typeof authConfig>;
const ID = '0b7f4a52-1c1e-4d5e-9a43-3f0d2b8c9e11';
const HASH = 'a'.repeat(64);
const USER = { id: '5d1c3a8e-7b2f-4c6d-8e9a-0f1b2c3d4e5f', email: 'm@example.com', role: 'member' as const };
const HOUR = 3600_000;
const T0 = Date.UTC(2026, 0, 1, 10, 0, 0); // a window boundary

const segmentsOf = (url: string) => {
  const [kind, id, hash, scope, expires, signature] = url.replace(/^\/api\/media\//, '').split('/');
  return { kind, id, hash, scope, expires, signature };
};

describe('MediaUrlSigner', () => {
  const signer = new MediaUrlSigner(config('x'.repeat(32)));

  it('gives the same URL within a window and a new one in the next', () => {
    const first = signer.contentUrl('files', ID, HASH, USER, T0 + 1);
    expect(signer.contentUrl('files', ID, HASH, USER, T0 + HOUR - 1)).toBe(first);
    expect(signer.contentUrl('files', ID, HASH, USER, T0 + HOUR)).not.toBe(first);
  });

  it('expires at the end of the next window: valid between one and two windows', () => {
    const url = signer.contentUrl('files', ID, HASH, USER, T0 + 1);
    expect(Number(segmentsOf(url).expires) * 1000).toBe(T0 + 2 * HOUR);
    expect(signer.verify(segmentsOf(url), T0 + 2 * HOUR - 1).id).toBe(ID);
    expect(() => signer.verify(segmentsOf(url), T0 + 2 * HOUR)).toThrow(
      expect.objectContaining({ code: 'MEDIA_URL_EXPIRED' }),
    );
  });

  it('names the signer and their session, or nobody', () => {
    const withSession = signer.contentUrl('files', ID, HASH, { ...USER, sessionId: ID }, T0);
    expect(signer.verify(segmentsOf(withSession), T0).signer).toEqual({ userId: USER.id, sessionId: ID });
    expect(signer.verify(segmentsOf(signer.contentUrl('files', ID, HASH, undefined, T0)), T0).signer).toBeUndefined();
  });

  it("refuses another install's signature", () => {
    const foreign = new MediaUrlSigner(config('y'.repeat(32))).contentUrl('files', ID, HASH, USER, T0);
    expect(() => signer.verify(segmentsOf(foreign), T0)).toThrow(
      expect.objectContaining({ code: 'INVALID_MEDIA_URL' }),
    );
  });

  it('signs rendition URLs with the rendition in the path and the signature, apart from content URLs', () => {
    const url = signer.renditionUrl('files', ID, HASH, 'thumbnail', USER, T0);
    const [kind, id, hash, rendition, scope, expires, signature] = url.replace(/^\/api\/media\//, '').split('/');
    const segments = { kind, id, hash, rendition, scope, expires, signature };
    expect(signer.verify(segments, T0)).toMatchObject({ id: ID, hash: HASH, rendition: 'thumbnail' });
    const invalid = expect.objectContaining({ code: 'INVALID_MEDIA_URL' });
    expect(() => signer.verify({ ...segments, rendition: 'preview' }, T0)).toThrow(invalid);
    expect(() => signer.verify({ ...segments, rendition: 'original' }, T0)).toThrow(invalid);
    // Neither signature passes for the other kind of URL.
    expect(() => signer.verify({ ...segments, rendition: undefined }, T0)).toThrow(invalid);
    const content = segmentsOf(signer.contentUrl('files', ID, HASH, USER, T0));
    expect(() => signer.verify({ ...content, rendition: 'thumbnail' }, T0)).toThrow(invalid);
  });
});
