import { hasInvisibleCharacter, hasVisibleCharacter } from './visible-text.js';

describe('hasVisibleCharacter', () => {
  it.each([
    ['bidi overrides and isolates', '\u202e\u202d\u2066\u2067\u2068\u2069\u202a\u202b\u202c'],
    ['marks', '\u200e\u200f\u061c'],
    ['zero-width characters', '\u200b\u200c\u200d\u2060\ufeff'],
    ['blanks of every kind', ' \t\u00a0\u2003\u3000\u2028\u2029'],
    ['a soft hyphen', '\u00ad'],
    ['Hangul fillers', '\u3164\uffa0\u115f\u1160'],
    ['a blank Braille pattern', '\u2800'],
    ['variation selectors', '\ufe0f\u{e0100}'],
    ['tag characters', '\u{e0041}\u{e0042}'],
    ['nothing', ''],
  ])('answers false for %s', (_, text) => {
    expect(hasVisibleCharacter(text)).toBe(false);
  });

  it.each([
    ['letters', 'Holiday'],
    ['letters between bidi controls', '\u202eHoliday\u202c'],
    ['CJK', '写真'],
    ['an emoji', '🎉'],
    ['a digit after zero-width spaces', '\u200b\u200b1'],
    ['punctuation', '.'],
  ])('answers true for %s', (_, text) => {
    expect(hasVisibleCharacter(text)).toBe(true);
  });
});

describe('hasInvisibleCharacter', () => {
  it.each([
    ['a zero-width space', 'ann\u200b@example.com'],
    ['a soft hyphen', 'ann\u00ad@example.com'],
    ['a bidi override', '\u202eann@example.com'],
    ['a word joiner', 'an\u2060n@example.com'],
    ['a blank', 'ann @example.com'],
  ])('finds %s', (_, text) => {
    expect(hasInvisibleCharacter(text)).toBe(true);
  });

  it('finds none in a plain or an accented address', () => {
    expect(hasInvisibleCharacter('ann@example.com')).toBe(false);
    expect(hasInvisibleCharacter('émile@exämple.com')).toBe(false);
  });
});
