import fc from 'fast-check';
import { firstFreeSlug, isValidSlug, slugify } from './slug.util.js';

describe('slugify', () => {
  it.each([
    ['Été 2024: Photos!', 'ete-2024-photos'],
    ['  Hello   World  ', 'hello-world'],
    ['ÄÖÜ straße', 'aou-strasse'],
    ['already-a-slug', 'already-a-slug'],
    ['--dashes--everywhere--', 'dashes-everywhere'],
    ['Ｆｕｌｌｗｉｄｔｈ', 'fullwidth'],
  ])('%j → %j', (title, slug) => {
    expect(slugify(title)).toBe(slug);
  });

  it.each([
    ['Łódź straße', 'lodz-strasse'],
    ['Привет мир', 'privet-mir'],
    ['Ελληνικά νέα', 'ellhnika-nea'],
    ['Tiếng Việt', 'tieng-viet'],
    ['İstanbul', 'istanbul'],
    ['ǅemal', 'dzemal'],
    ['ﬁle ﬂow', 'file-flow'],
  ])('transliterates %j → %j', (title, slug) => {
    expect(slugify(title)).toBe(slug);
  });

  it('treats symbols as separators, not words', () => {
    expect(slugify('50% off & more')).toBe('50-off-more');
    expect(slugify('a$b')).toBe('a-b');
  });

  it('keeps what it can spell of a title partly in a script it drops', () => {
    expect(slugify('東京 Tower 2')).toBe('tower-2');
    expect(slugify('Tokyo東京Tower')).toBe('tokyo-tower');
  });

  it('falls back when nothing usable is left', () => {
    expect(slugify('!!!')).toBe('file');
    expect(slugify('日本語', 'media')).toBe('media');
    expect(slugify('')).toBe('file');
  });

  it('never ends with a dash after truncation', () => {
    const slug = slugify(`${'a'.repeat(199)} b`);
    expect(slug.length).toBeLessThanOrEqual(200);
    expect(slug.endsWith('-')).toBe(false);
  });

  it('cuts long titles to 200 characters', () => {
    expect(slugify('a'.repeat(300))).toBe('a'.repeat(200));
  });

  it('uses the fallback only when nothing is left', () => {
    expect(slugify('Photo', 'media')).toBe('photo');
  });

  it('always answers a valid slug', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (text) => isValidSlug(slugify(text))));
  });
});

describe('isValidSlug', () => {
  it('accepts lowercase a-z0-9 words joined by single dashes only', () => {
    expect(isValidSlug('a-b-1')).toBe(true);
    for (const bad of ['', 'A', 'a--b', '-a', 'a-', 'a_b', 'a b', 'é']) expect(isValidSlug(bad)).toBe(false);
  });

  it('leaves room after the 200 characters for a numbered suffix, and no more', () => {
    expect(isValidSlug(`${'a'.repeat(200)}-123456789`)).toBe(true);
    expect(isValidSlug(`${'a'.repeat(200)}-1234567890`)).toBe(false);
  });
});

describe('firstFreeSlug', () => {
  it('answers the base when free, otherwise the first free numbered variant', () => {
    expect(firstFreeSlug('photo', new Set())).toBe('photo');
    expect(firstFreeSlug('photo', new Set(['photo']))).toBe('photo-2');
    expect(firstFreeSlug('photo', new Set(['photo', 'photo-2', 'photo-3']))).toBe('photo-4');
  });

  it('fills the first gap rather than counting past the last', () => {
    expect(firstFreeSlug('photo', new Set(['photo', 'photo-3']))).toBe('photo-2');
  });
});
