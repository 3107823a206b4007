import { Readable } from 'node:stream';
import { cameraJpeg, solidImage } from '../../test/support/media.js';
import { renderStill } from './generation/render-file.js';
import { LaneMemory, readRest } from './lane-memory.js';

const MIB = 1024 * 1024;

describe('LaneMemory', () => {
  it('answers the next job the memory of the previous one when it fits, and grows when it does not', () => {
    const memory = new LaneMemory();
    const first = memory.take(1.5 * MIB);
    const second = memory.take(MIB + 12_345);
    const larger = memory.take(2.5 * MIB);

    expect([first.length, second.length, larger.length]).toEqual([1.5 * MIB, MIB + 12_345, 2.5 * MIB]);
    expect(second.buffer).toBe(first.buffer);
    expect(larger.buffer).not.toBe(first.buffer);
    expect(memory.take(3 * MIB).buffer).toBe(larger.buffer); // grown by whole MiBs
  });
});

describe('readRest', () => {
  const chunks = (...texts: string[]) => Readable.from(texts.map((text) => Buffer.from(text)));

  it('copies the head and the rest of the stream into the memory given', async () => {
    const into = Buffer.alloc(12);
    const bytes = await readRest(chunks('lo, ', 'world'), Buffer.from('hel'), into);

    expect(bytes.toString()).toBe('hello, world');
    expect(bytes.buffer).toBe(into.buffer);
  });

  it('answers what arrived when the stream is shorter than the memory', async () => {
    const bytes = await readRest(chunks('lo'), Buffer.from('hel'), Buffer.alloc(64));
    expect(bytes.toString()).toBe('hello');
  });

  it('answers every byte when the stream holds more than the memory', async () => {
    const bytes = await readRest(chunks('lo, ', 'wor', 'ld'), Buffer.from('hel'), Buffer.alloc(8));
    expect(bytes.toString()).toBe('hello, world');
  });
});

describe('rendering from lane memory', () => {
  it('renders an image in reused memory (a larger image left its bytes behind) as from its own bytes', async () => {
    const photo = await cameraJpeg();
    const memory = new LaneMemory();
    memory.take(3 * MIB).fill(0xff); // what the previous, larger job left
    const reused = await readRest(
      Readable.from([photo.subarray(100)]),
      photo.subarray(0, 100),
      memory.take(photo.length),
    );

    const fromOwnBytes = await renderStill(photo, 'image/jpeg');
    const fromReused = await renderStill(reused, 'image/jpeg');

    expect(fromReused).toEqual(fromOwnBytes);
    expect(fromReused).toMatchObject({ status: 'ready', mediaInfo: { camera: { make: 'TestCam' } } });
  });

  it('renders a PNG in reused memory', async () => {
    const png = await solidImage(640, 480, '#336699').png().toBuffer();
    const memory = new LaneMemory();
    memory.take(2 * MIB).fill(0x89);
    const reused = await readRest(Readable.from([]), png, memory.take(png.length));

    expect(await renderStill(reused, 'image/png')).toEqual(await renderStill(png, 'image/png'));
  });
});
