import fc from 'fast-check';
import { etagMatches, parseRange } from './http-range.util.js';

describe('parseRange', () => {
  const SIZE = 100;

  it.each([
    ['bytes=0-9', { start: 0, end: 9 }],
    ['bytes=0-0', { start: 0, end: 0 }],
    ['bytes=10-', { start: 10, end: 99 }],
    ['bytes=99-', { start: 99, end: 99 }],
    ['bytes=90-200', { start: 90, end: 99 }],
    ['bytes=-10', { start: 90, end: 99 }],
    ['bytes=-100', { start: 0, end: 99 }],
    ['bytes=-500', { start: 0, end: 99 }],
    ['  BYTES = 5 - 6  ', { start: 5, end: 6 }],
  ])('%j selects %j of 100 bytes', (header, range) => {
    expect(parseRange(header, SIZE)).toEqual(range);
  });

  it.each([
    ['starts past the end', 'bytes=100-'],
    ['starts past the end, with an end', 'bytes=150-200'],
    ['asks for the last 0 bytes', 'bytes=-0'],
  ])('is unsatisfiable (416) when it %s', (_, header) => {
    expect(parseRange(header, SIZE)).toBe('unsatisfiable');
  });

  it('finds nothing to select in an empty representation', () => {
    expect(parseRange('bytes=0-', 0)).toBe('unsatisfiable');
    expect(parseRange('bytes=-1', 0)).toBe('unsatisfiable');
  });

  it.each([
    ['another unit', 'items=0-9'],
    ['several ranges', 'bytes=0-1,5-6'],
    ['no bounds at all', 'bytes=-'],
    ['an end before its start', 'bytes=9-0'],
    ['a negative start', 'bytes=-5-9'],
    ['no equals sign', 'bytes 0-9'],
    ['an empty header', ''],
  ])('ignores %s: the whole representation is sent', (_, header) => {
    expect(parseRange(header, SIZE)).toBeUndefined();
  });

  it('always answers a range inside the representation, or none', () => {
    const bound = fc.option(fc.nat({ max: 1000 }), { nil: undefined });
    fc.assert(
      fc.property(fc.nat({ max: 500 }), bound, bound, (size, first, last) => {
        const header = `bytes=${first ?? ''}-${last ?? ''}`;
        const range = parseRange(header, size);
        if (range === undefined || range === 'unsatisfiable') return true;
        return range.start >= 0 && range.start <= range.end && range.end < size;
      }),
    );
  });
});

describe('etagMatches', () => {
  const ETAG = '"abc"';

  it.each([
    ['the same tag', '"abc"'],
    ['any tag', '*'],
    ['the tag in a list', '"x", "abc" ,"y"'],
    ['the weak form of the tag', 'W/"abc"'],
  ])('matches %s', (_, header) => {
    expect(etagMatches(header, ETAG)).toBe(true);
  });

  it.each([
    ['another tag', '"abd"'],
    ['the tag unquoted', 'abc'],
    ['a list without it', '"x", "y"'],
    ['an empty header', ''],
  ])('does not match %s', (_, header) => {
    expect(etagMatches(header, ETAG)).toBe(false);
  });
});
