import { PassThrough, Readable } from 'node:stream';
import { streamPartToStorage } from './upload-stream.js';

/** A store that reads everything it is given, like an object store accepting a PUT. */
const drainingStore = (body: Readable) =>
  new Promise<void>((resolve, reject) => {
    body.on('data', () => undefined);
    body.once('end', resolve);
    body.once('error', reject);
  });

describe('streamPartToStorage', () => {
  it('stores and hashes a part', async () => {
    const part = Readable.from([Buffer.from('hello '), Buffer.from('world')]);
    const streamed = await streamPartToStorage(part, 100, drainingStore);
    expect(streamed).toMatchObject({
      size: 11,
      hash: 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9',
    });
    expect(streamed.head.toString()).toBe('hello world');
  });

  // A multipart part can fail before its consumer is attached (the request is abandoned while the upload awaits its
  // claim): its 'error' has already been emitted. The soak found such an upload waiting forever, its claim kept
  // fresh by the heartbeat, so garbage collection could never take its object.
  it('fails, instead of waiting forever, for a part that already failed before it was handed over', async () => {
    const part = new PassThrough();
    part.on('error', () => undefined);
    part.destroy(new Error('Unexpected end of form'));
    await new Promise((resolve) => setImmediate(resolve));
    await expect(streamPartToStorage(part, 100, drainingStore)).rejects.toThrow('Unexpected end of form');
  });

  it('fails for a part that was closed before its end', async () => {
    const part = new PassThrough();
    part.write('partial');
    part.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    await expect(streamPartToStorage(part, 100, drainingStore)).rejects.toThrow(/premature close/i);
  });

  it('reports a store failure after reading the rest of the part', async () => {
    const part = Readable.from([Buffer.from('abc'), Buffer.from('def')]);
    const failingStore = (body: Readable) => {
      body.resume();
      return Promise.reject(new Error('storage down'));
    };
    await expect(streamPartToStorage(part, 100, failingStore)).rejects.toThrow('storage down');
    expect(part.readableEnded).toBe(true);
  });
});
