import { detectContent } from './content-type.util.js';

const uint32 = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
};

/** The head of a PNG: signature and IHDR chunk (the image data never matters to detection). */
const png = (width: number, height: number) =>
  Buffer.concat([
    Buffer.from('89504e470d0a1a0a', 'hex'),
    uint32(13),
    Buffer.from('IHDR'),
    uint32(width),
    uint32(height),
    Buffer.from([8, 6, 0, 0, 0]),
    uint32(0),
  ]);
const gif = (width: number, height: number) => {
  const size = Buffer.alloc(4);
  size.writeUInt16LE(width, 0);
  size.writeUInt16LE(height, 2);
  return Buffer.concat([Buffer.from('GIF89a'), size, Buffer.alloc(20)]);
};
const wav = Buffer.concat([Buffer.from('RIFF'), Buffer.from([36, 0, 0, 0]), Buffer.from('WAVEfmt '), Buffer.alloc(40)]);
const mp4 = Buffer.concat([
  uint32(24),
  Buffer.from('ftypisom'),
  uint32(512),
  Buffer.from('isomiso2'),
  Buffer.alloc(40),
]);
const zip = Buffer.concat([
  Buffer.from('504b0304', 'hex'),
  Buffer.alloc(22),
  Buffer.from([5, 0, 0, 0]),
  Buffer.from('a.txtabc'),
]);
const gzip = Buffer.concat([Buffer.from('1f8b08', 'hex'), Buffer.alloc(20)]);
const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30"></svg>');

const dimensionless = { width: null, height: null };

describe('detectContent', () => {
  it.each([
    ['a PNG', png(640, 480), 'photo.png', { contentType: 'image/png', fileType: 'image', width: 640, height: 480 }],
    ['a GIF', gif(32, 16), 'anim.gif', { contentType: 'image/gif', fileType: 'image', width: 32, height: 16 }],
    [
      'a PDF',
      Buffer.from('%PDF-1.4\n%âãÏÓ'),
      'paper.pdf',
      { contentType: 'application/pdf', fileType: 'document', ...dimensionless },
    ],
    ['a WAV', wav, 'sound.wav', { contentType: 'audio/wav', fileType: 'audio', ...dimensionless }],
    ['an MP4', mp4, 'clip.mp4', { contentType: 'video/mp4', fileType: 'video', ...dimensionless }],
    ['a ZIP', zip, 'bundle.zip', { contentType: 'application/zip', fileType: 'archive', ...dimensionless }],
    ['a gzip', gzip, 'data.gz', { contentType: 'application/gzip', fileType: 'archive', ...dimensionless }],
  ])('knows %s by its magic number', async (_, head, filename, detected) => {
    expect(await detectContent(head, filename)).toEqual(detected);
  });

  it('believes the bytes, not the name', async () => {
    expect(await detectContent(png(2, 3), 'notes.txt')).toMatchObject({
      contentType: 'image/png',
      width: 2,
      height: 3,
    });
    expect(await detectContent(Buffer.from('plain words'), 'photo.png')).toMatchObject({ contentType: 'text/plain' });
  });

  it.each([
    ['notes.md', 'text/markdown', 'document'],
    ['data.CSV', 'text/csv', 'document'],
    ['table.tsv', 'text/tab-separated-values', 'document'],
    ['config.json', 'application/json', 'document'],
    ['page.htm', 'text/html', 'document'],
    ['captions.vtt', 'text/vtt', 'document'],
    ['README', 'text/plain', 'document'],
    ['script.unknown', 'text/plain', 'document'],
  ])('lets the name of a text file (%s) pick its text format', async (filename, contentType, fileType) => {
    expect(await detectContent(Buffer.from('just some text\n'), filename)).toEqual({
      contentType,
      fileType,
      ...dimensionless,
    });
  });

  it('reads no dimensions from past the end of a cut header', async () => {
    // The head of a small upload is a view into Node's shared buffer pool: the bytes after it belong to others.
    const pooled = Buffer.concat([png(1, 1).subarray(0, 16), Buffer.from('0000abcd00001234', 'hex')]);
    const cut = pooled.subarray(0, 16); // signature, chunk length and type: no width or height yet
    expect(await detectContent(cut, 'cut.png')).toEqual({
      contentType: 'image/png',
      fileType: 'image',
      ...dimensionless,
    });
  });

  it('reads the size of an SVG image from its header', async () => {
    expect(await detectContent(svg, 'logo.svg')).toEqual({
      contentType: 'image/svg+xml',
      fileType: 'image',
      width: 40,
      height: 30,
    });
  });

  it('counts a head cut inside a multi-byte character as text', async () => {
    const cut = Buffer.from('héllo wörld é').subarray(0, 14); // ends inside the last 'é'
    expect(await detectContent(cut, 'a.txt')).toMatchObject({ contentType: 'text/plain', fileType: 'document' });
  });

  it.each([
    ['bytes with a NUL', Buffer.from([1, 2, 3, 0, 5, 6, 7, 8, 9])],
    ['invalid UTF-8', Buffer.from([0xc3, 0x28, 0x61, 0x62, 0x63, 0x64, 0x65])],
    ['nothing at all', Buffer.alloc(0)],
  ])('answers application/octet-stream for %s', async (_, head) => {
    expect(await detectContent(head, 'notes.txt')).toEqual({
      contentType: 'application/octet-stream',
      fileType: 'other',
      ...dimensionless,
    });
  });
});
