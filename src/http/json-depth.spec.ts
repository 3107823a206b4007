import { exceedsJsonDepth } from './json-depth.js';

describe('exceedsJsonDepth', () => {
  it('counts nested arrays and objects', () => {
    expect(exceedsJsonDepth('{"a":[{"b":[]}]}', 4)).toBe(false);
    expect(exceedsJsonDepth('{"a":[{"b":[]}]}', 3)).toBe(true);
    expect(exceedsJsonDepth('['.repeat(10_000) + ']'.repeat(10_000), 32)).toBe(true);
    expect(exceedsJsonDepth('['.repeat(32) + ']'.repeat(32), 32)).toBe(false);
  });

  it('counts depth, not the number of brackets: siblings do not add up', () => {
    expect(exceedsJsonDepth(`[${'[],'.repeat(1000)}[]]`, 2)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(exceedsJsonDepth(JSON.stringify({ title: '[[[[{{{{' }), 1)).toBe(false);
    expect(exceedsJsonDepth(JSON.stringify({ title: 'a\\"[[[[' }), 1)).toBe(false);
    expect(exceedsJsonDepth(JSON.stringify({ title: 'a\\\\' }) + '', 1)).toBe(false);
  });

  it('answers false for scalars and malformed text (the parser refuses those)', () => {
    expect(exceedsJsonDepth('42', 0)).toBe(false);
    expect(exceedsJsonDepth(']]]]', 1)).toBe(false);
  });
});
