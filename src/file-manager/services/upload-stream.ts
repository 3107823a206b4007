import { createHash } from 'node:crypto';
import { finished, PassThrough, type Readable } from 'node:stream';

/** How many leading bytes are kept to detect the type and read image dimensions. */
export const HEAD_BYTES = 256 * 1024;

export class FileTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`The file is larger than ${maxBytes} bytes`);
  }
}

export interface StreamedPart {
  hash: string;
  size: number;
  head: Buffer;
}

/**
 * Streams one multipart part into storage through SHA-256 in a single pass: no file is held in memory (only the
 * first HEAD_BYTES, for type detection) and nothing touches the local disk. Backpressure runs from the store back
 * to the client. When the part exceeds `maxBytes`, or the store fails, the store's write is aborted and the rest of
 * the part is read and discarded, so the other parts of the request can still be processed.
 */
export async function streamPartToStorage(
  part: Readable,
  maxBytes: number,
  store: (body: Readable) => Promise<unknown>,
): Promise<StreamedPart> {
  const body = new PassThrough({ highWaterMark: 1024 * 1024 });
  // Destroying `body` is how an abandoned part aborts the store's read; the store reports that through its own
  // promise. Without a listener here, a store that stopped listening after failing would turn it into a crash.
  body.on('error', () => undefined);
  const hasher = createHash('sha256');
  const headChunks: Buffer[] = [];
  let headLength = 0;
  let size = 0;
  let abandoned = false;

  const abandon = (error: Error) => {
    if (abandoned) return;
    abandoned = true;
    body.destroy(error);
    part.resume();
  };

  const partDone = new Promise<void>((resolve, reject) => {
    part.on('data', (chunk: Buffer) => {
      if (abandoned) return;
      size += chunk.length;
      if (size > maxBytes) return abandon(new FileTooLargeError(maxBytes));
      hasher.update(chunk);
      if (headLength < HEAD_BYTES) {
        headChunks.push(chunk.subarray(0, HEAD_BYTES - headLength));
        headLength += Math.min(chunk.length, HEAD_BYTES - headLength);
      }
      if (!body.write(chunk)) {
        part.pause();
        body.once('drain', () => part.resume());
      }
    });
    // `finished` rather than 'end'/'error' listeners: a part that already failed or closed before it was handed over
    // (the request was abandoned while its upload awaited the claim) has emitted its events already; `finished`
    // still reports it, where the listeners would wait forever (and the claim's heartbeat with them).
    finished(part, { writable: false }, (error) => {
      if (error) {
        abandon(error);
        reject(error);
        return;
      }
      if (!abandoned) body.end();
      resolve();
    });
  });

  const stored = store(body).then(
    () => undefined,
    (error: unknown) => {
      // Keep reading the part so the request can go on; report the store's failure after the part ends.
      const failure = error instanceof Error ? error : new Error(String(error));
      abandon(failure);
      return failure;
    },
  );
  const [storeError] = await Promise.all([stored, partDone]);
  if (storeError !== undefined) throw storeError;
  return { hash: hasher.digest('hex'), size, head: Buffer.concat(headChunks) };
}
