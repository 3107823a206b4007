import fc from 'fast-check';
import { extensionOf, sanitizeFilename, sanitizeFolderPath } from './filename.util.js';

describe('sanitizeFilename', () => {
  it('drops any directory part, from either separator', () => {
    expect(sanitizeFilename('../../etc/passwd')).toBe('passwd');
    expect(sanitizeFilename('C:\\Users\\ann\\photo.jpg')).toBe('photo.jpg');
  });

  it('removes control and bidi-override characters and trims', () => {
    expect(sanitizeFilename(' a\u0000b\u001fc\u202e.txt ')).toBe('abc.txt');
  });

  it('normalises to NFC', () => {
    expect(sanitizeFilename('Cafe\u0301.txt')).toBe('Caf\u00e9.txt');
  });

  it('answers undefined when nothing usable is left', () => {
    for (const raw of [undefined, '', '   ', '.', '..', 'dir/', '\u0000\u0001'])
      expect(sanitizeFilename(raw)).toBeUndefined();
  });

  it('truncates to 255 UTF-8 bytes keeping the extension and whole characters', () => {
    const name = sanitizeFilename(`${'é'.repeat(300)}.jpeg`)!;
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
    expect(name.endsWith('.jpeg')).toBe(true);
    expect(name).not.toContain('\ufffd');
    const emoji = sanitizeFilename(`${'😀'.repeat(100)}.png`)!;
    expect(Buffer.byteLength(emoji)).toBeLessThanOrEqual(255);
    // Whole characters only: no lone surrogate left by the cut.
    expect(emoji).toMatch(/^(?:😀)+\.png$/u);
  });

  it('never answers a name with a separator, a control character or more than 255 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (raw) => {
        const name = sanitizeFilename(raw);
        if (name === undefined) return true;
        // eslint-disable-next-line no-control-regex
        return !/[/\\\u0000-\u001f]/.test(name) && Buffer.byteLength(name) <= 255 && name !== '' && !/^\.+$/.test(name);
      }),
    );
  });
});

describe('sanitizeFolderPath', () => {
  it.each([
    [undefined, ''],
    ['', ''],
    ['/', ''],
    ['/a//b/../c/', '/a/b/c'],
    ['a\\b', '/a/b'],
    ['./x/./y', '/x/y'],
    [' spaced / names ', '/spaced/names'],
  ])('%j → %j', (raw, path) => {
    expect(sanitizeFolderPath(raw)).toBe(path);
  });

  it('never lets a `..` segment through', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('..', '.', 'a', '', ' .. ', 'b\u0000'), { maxLength: 12 }), (segments) => {
        const path = sanitizeFolderPath(segments.join('/'));
        return path.split('/').every((segment) => segment !== '..' && segment !== '.');
      }),
    );
  });
});

describe('extensionOf', () => {
  it('answers the lowercase extension, or nothing for dotfiles and names without one', () => {
    expect(extensionOf('photo.JPG')).toBe('jpg');
    expect(extensionOf('archive.tar.gz')).toBe('gz');
    expect(extensionOf('.bashrc')).toBe('');
    expect(extensionOf('README')).toBe('');
  });
});
