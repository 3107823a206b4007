/// <reference lib="webworker" />
/**
 * SHA-256 of a file, streamed: the file is read in slices, so a 2 GB file never sits in memory, and the work runs
 * off the page's thread, so the page stays responsive. hash-wasm's incremental hasher (WebAssembly) is several
 * times faster than a JavaScript one; the Web Crypto API has no incremental digest.
 */
import { createSHA256 } from 'hash-wasm';

export interface HashRequest {
  id: number;
  file: Blob;
}

export type HashReply =
  | { id: number; type: 'progress'; done: number }
  | { id: number; type: 'done'; hash: string }
  | { id: number; type: 'error'; message: string };

const SLICE_BYTES = 8 * 1024 * 1024;
const scope = self as unknown as DedicatedWorkerGlobalScope;
let queue = Promise.resolve();

scope.onmessage = (event: MessageEvent<HashRequest>) => {
  const { id, file } = event.data;
  // One file at a time: the hasher's memory stays constant however many files are chosen.
  queue = queue.then(() => hash(id, file));
};

async function hash(id: number, file: Blob): Promise<void> {
  try {
    const hasher = await createSHA256();
    hasher.init();
    for (let offset = 0; offset < file.size; offset += SLICE_BYTES) {
      const slice = await file.slice(offset, offset + SLICE_BYTES).arrayBuffer();
      hasher.update(new Uint8Array(slice));
      scope.postMessage({ id, type: 'progress', done: Math.min(offset + SLICE_BYTES, file.size) } satisfies HashReply);
    }
    scope.postMessage({ id, type: 'done', hash: hasher.digest('hex') } satisfies HashReply);
  } catch (error) {
    scope.postMessage({
      id,
      type: 'error',
      message: error instanceof Error ? error.message : String(error),
    } satisfies HashReply);
  }
}
