import { detectContent, UnsupportedTypeError } from './content-type.util.js';

const utf16le = (text: string) => Buffer.from(text, 'utf16le');
const utf16be = (text: string) => Buffer.from(text, 'utf16le').swap16();
const utf32 = (text: string, littleEndian: boolean) =>
  Buffer.concat(
    [...text].map((char) => {
      const unit = Buffer.alloc(4);
      if (littleEndian) unit.writeUInt32LE(char.codePointAt(0)!);
      else unit.writeUInt32BE(char.codePointAt(0)!);
      return unit;
    }),
  );
/** Big-endian 32-bit words, then padding: the head of a binary. */
const word = (...words: number[]) =>
  Buffer.concat([...words.map((w) => Buffer.from(w.toString(16).padStart(8, '0'), 'hex')), Buffer.alloc(64)]);

const SCRIPT = '#!/bin/sh\nrm -rf ~\n';

/** A ZIP whose first entry is `name` (a local file header, no data): enough for file-type to name the archive. */
function zipStartingWith(name: string): Buffer {
  const header = Buffer.alloc(30);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(20, 4);
  header.writeUInt16LE(Buffer.byteLength(name), 26);
  return Buffer.concat([header, Buffer.from(name), Buffer.alloc(64)]);
}

describe('detectContent refuses executables', () => {
  it.each([
    ['a plain interpreter line', Buffer.from(SCRIPT)],
    ['a UTF-8 BOM before #!', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(SCRIPT)])],
    ['spaces before #!', Buffer.from(`   ${SCRIPT}`)],
    ['newlines and tabs before #!', Buffer.from(`\n\r\n\t${SCRIPT}`)],
    ['UTF-16LE with a BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le(SCRIPT)])],
    ['UTF-16BE with a BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(SCRIPT)])],
    ['UTF-16LE without a BOM', utf16le(SCRIPT)],
    ['UTF-16BE without a BOM', utf16be(` ${SCRIPT}`)],
    ['UTF-32LE with a BOM', utf32(`\ufeff${SCRIPT}`, true)],
    ['UTF-32BE', utf32(SCRIPT, false)],
  ])('a script: %s', async (_, bytes) => {
    await expect(detectContent(bytes, 'notes.txt')).rejects.toThrow(UnsupportedTypeError);
  });

  it.each([
    ['a fat Mach-O with 2 architectures', word(0xcafebabe, 2)],
    ['a fat Mach-O with no architecture', word(0xcafebabe, 0)],
    ['a 64-bit fat Mach-O', word(0xcafebabf, 2)],
    ['a Java class of version 45.3 (JDK 1.1)', word(0xcafebabe, 0x0003002d)],
    ['a Java class of version 52.0', word(0xcafebabe, 0x00000034)],
    ['CAFEBABE alone', Buffer.from([0xca, 0xfe, 0xba, 0xbe])],
    ['a Mach-O', word(0xcffaedfe, 7)],
    ['an ELF', Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.alloc(64)])],
    ['a JAR', zipStartingWith('META-INF/MANIFEST.MF')],
    ['an Android app', zipStartingWith('classes.dex')],
    [
      'a Windows shortcut',
      Buffer.concat([Buffer.from('4C0000000114020000000000C000000000000046', 'hex'), Buffer.alloc(80)]),
    ],
  ])('a binary: %s', async (_, bytes) => {
    await expect(detectContent(bytes, 'photo.jpg')).rejects.toThrow(UnsupportedTypeError);
  });

  it.each([
    ['text mentioning #! later', Buffer.from('Use #!/bin/sh at the top of a script.\n'), 'text/plain'],
    ['a shell comment without !', Buffer.from('# heading\n'), 'text/markdown'],
    ['JSON', Buffer.from('{"a": "#!"}'), 'application/json'],
    ['a plain ZIP', zipStartingWith('photos/a.jpg'), 'application/zip'],
  ])('but accepts %s', async (_, bytes, contentType) => {
    const filename =
      contentType === 'text/markdown' ? 'notes.md' : contentType === 'application/json' ? 'a.json' : 'a.txt';
    await expect(detectContent(bytes, filename)).resolves.toMatchObject({ contentType });
  });
});
