import type { Readable } from 'node:stream';

const MIB = 1024 * 1024;

/**
 * `head` and the rest of the stream, copied into `into` (sized for the object as recorded): answers the part of it
 * that was filled. Should the object hold more than its record says, the whole of it is answered all the same, in
 * memory of its own.
 */
export async function readRest(stream: Readable, head: Buffer, into: Buffer): Promise<Buffer> {
  const overflow: Buffer[] = [];
  let length = 0;
  const append = (chunk: Buffer) => {
    if (overflow.length === 0 && length + chunk.length <= into.length) chunk.copy(into, length);
    else overflow.push(chunk);
    length += chunk.length;
  };
  append(head);
  for await (const chunk of stream) append(chunk as Buffer);
  if (overflow.length === 0) return into.subarray(0, length);
  const filled = length - overflow.reduce((sum, chunk) => sum + chunk.length, 0);
  return Buffer.concat([into.subarray(0, filled), ...overflow], length);
}

/**
 * A lane's memory for the images it renders from memory, kept from one job to the next. A fresh 2-8 MB buffer per
 * job was mapped, faulted in page by page and unmapped again (glibc maps allocations this large on their own), and
 * its external memory drove most of the worker's full garbage collections. A lane renders one job at a time and the
 * render (sharp, exifr) is done with the bytes when it settles, so the next job may overwrite them.
 */
export class LaneMemory {
  private buffer?: Buffer;

  /** `size` bytes, in the memory of the previous job when it is large enough. */
  take(size: number): Buffer {
    if (!this.buffer || this.buffer.length < size) {
      // Whole MiBs, so photos of slightly different sizes don't each grow it again.
      this.buffer = Buffer.allocUnsafeSlow(Math.ceil(size / MIB) * MIB);
    }
    return this.buffer.subarray(0, size);
  }
}
