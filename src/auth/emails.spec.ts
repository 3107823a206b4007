import { defaultNameOf, displayEmailOf, emailKeyOf } from './emails.js';

describe('e-mail identity', () => {
  it.each([
    ['ann@example.com', 'ann@example.com'],
    ['  Ann@Example.COM ', 'ann@example.com'],
    ['ａｎｎ@ｅｘａｍｐｌｅ.ｃｏｍ', 'ann@example.com'],
    ['ＡＮＮ@example.com', 'ann@example.com'],
    ['\u3000ann@example.com\u3000', 'ann@example.com'],
    ['Émile@example.com', 'émile@example.com'],
    ['E\u0301mile@example.com', 'émile@example.com'],
    ['ﬁle@example.com', 'file@example.com'],
  ])('keys %j as %j', (email, key) => {
    expect(emailKeyOf(email)).toBe(key);
  });

  it('shows the address in NFKC, trimmed, its case kept', () => {
    expect(displayEmailOf(' Ａnn@Example.com ')).toBe('Ann@Example.com');
  });

  it("names a user after the address's local part (up to the last @), at most 100 characters", () => {
    expect(defaultNameOf('carol.smith@example.com')).toBe('carol.smith');
    expect(defaultNameOf('"a@b"@example.com')).toBe('"a@b"');
    expect(defaultNameOf(`${'x'.repeat(150)}@example.com`)).toHaveLength(100);
  });
});
