import { ValidationFailedException } from '../common/errors/domain.exception.js';
import { assertMetadataFits, isMetadataObject, METADATA_MAX_BYTES, metadataBytes, withAnnotation } from './metadata.js';

describe('media file metadata', () => {
  it('measures UTF-8 bytes of the compact JSON, not characters', () => {
    expect(metadataBytes({})).toBe(2);
    expect(metadataBytes({ a: 'é' })).toBe('{"a":""}'.length + 2);
    expect(metadataBytes({ a: '😀' })).toBe('{"a":""}'.length + 4);
  });

  it('accepts exactly the limit and refuses one byte more', () => {
    const fits = { t: 'é'.repeat((METADATA_MAX_BYTES - '{"t":""}'.length) / 2) };
    expect(metadataBytes(fits)).toBe(METADATA_MAX_BYTES);
    expect(assertMetadataFits(fits)).toBe(fits);
    expect(() => assertMetadataFits({ t: `${fits.t}x` })).toThrow(ValidationFailedException);
  });

  it('is an object: not an array, null or a scalar', () => {
    expect(isMetadataObject({ a: 1 })).toBe(true);
    for (const value of [[], null, 'x', 1, true, undefined]) expect(isMetadataObject(value)).toBe(false);
  });

  it('keeps the annotation as metadata.annotation, over one sent inside, and leaves the input alone', () => {
    const metadata = { annotation: 'inside', other: 1 };
    expect(withAnnotation(metadata, 'outside')).toEqual({ annotation: 'outside', other: 1 });
    expect(metadata.annotation).toBe('inside');
    expect(withAnnotation(metadata, undefined)).toBe(metadata);
  });
});
