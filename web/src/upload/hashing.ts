import type { HashReply } from './hash.worker';

let worker: Worker | undefined;
let nextId = 0;
const waiting = new Map<
  number,
  { resolve: (hash: string) => void; reject: (error: Error) => void; onProgress: (done: number) => void }
>();

function hashWorker(): Worker {
  if (worker) return worker;
  worker = new Worker(new URL('./hash.worker.ts', import.meta.url), { type: 'module', name: 'sha256' });
  worker.onmessage = (event: MessageEvent<HashReply>) => {
    const reply = event.data;
    const entry = waiting.get(reply.id);
    if (!entry) return;
    if (reply.type === 'progress') return entry.onProgress(reply.done);
    waiting.delete(reply.id);
    if (reply.type === 'done') entry.resolve(reply.hash);
    else entry.reject(new Error(`Could not read the file: ${reply.message}`));
  };
  worker.onerror = (event) => {
    for (const entry of waiting.values()) entry.reject(new Error(event.message || 'The hashing worker failed'));
    waiting.clear();
    worker = undefined;
  };
  return worker;
}

/** Lowercase hex SHA-256 of the file's bytes, computed in a Web Worker; `onProgress` gets the bytes hashed so far. */
export function sha256(file: Blob, onProgress: (done: number) => void = () => undefined): Promise<string> {
  const id = ++nextId;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject, onProgress });
    hashWorker().postMessage({ id, file });
  });
}
