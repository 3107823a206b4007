import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describeCause, RenditionFailure } from './rendition-failure.js';

/**
 * The first page of a PDF, drawn by pdf.js (`pdfjs-dist` 4.x legacy build, the last line that runs on Node 20)
 * onto `@napi-rs/canvas` (prebuilt binaries, no install script). Why not mupdf's wasm build: AGPL. Why not
 * pdfjs-dist 5: it needs Node 22.
 *
 * pdf.js runs in a worker thread with its own heap limit, so a hostile PDF that loops or balloons is ended by
 * terminating the thread at the time limit (or by V8 at the heap limit) without touching the server's heap.
 */
export interface PdfLimits {
  timeoutSeconds: number;
  /** The page is drawn to fit this square (pixels). */
  box: number;
  /** Images embedded in the page with more pixels are skipped (pdf.js `maxImageSize`). */
  maxImagePixels?: number;
  /** Heap of the rendering thread. */
  maxHeapMb?: number;
}

export interface RenderedPage {
  pageCount: number;
  png: Buffer;
}

const require = createRequire(import.meta.url);

// Plain JavaScript run inside the worker: it must not depend on how the server itself was compiled or loaded.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const pdfjs = await import(workerData.pdfjsUrl);
  const { createCanvas } = require(workerData.canvasPath);
  const document = await pdfjs.getDocument({
    data: new Uint8Array(workerData.data),
    standardFontDataUrl: workerData.fontsDirectory,
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    maxImageSize: workerData.maxImagePixels,
    verbosity: 0,
  }).promise;
  const page = await document.getPage(1);
  const natural = page.getViewport({ scale: 1 });
  if (!(natural.width > 0 && natural.height > 0)) throw new Error('the first page has no size');
  const viewport = page.getViewport({ scale: workerData.box / Math.max(natural.width, natural.height) });
  const canvas = createCanvas(Math.max(1, Math.round(viewport.width)), Math.max(1, Math.round(viewport.height)));
  const context = canvas.getContext('2d');
  // PDF pages are white paper; the canvas starts transparent.
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  await page.render({ canvasContext: context, viewport }).promise;
  const png = canvas.toBuffer('image/png');
  parentPort.postMessage({ pageCount: document.numPages, png }, [png.buffer]);
  await document.destroy();
})().catch((error) => parentPort.postMessage({ error: String((error && error.message) || error) }));
`;

export function renderPdfFirstPage(data: Buffer, limits: PdfLimits): Promise<RenderedPage> {
  const pdfjsPackage = require.resolve('pdfjs-dist/package.json');
  // A copy the worker can own (transferred, not cloned): the caller's buffer may be a slice of a pooled one.
  const owned = new Uint8Array(data.byteLength);
  owned.set(data);
  const workerData = {
    data: owned.buffer,
    pdfjsUrl: pathToFileURL(join(dirname(pdfjsPackage), 'legacy', 'build', 'pdf.mjs')).href,
    fontsDirectory: `${join(dirname(pdfjsPackage), 'standard_fonts')}/`,
    canvasPath: require.resolve('@napi-rs/canvas'),
    box: limits.box,
    maxImagePixels: limits.maxImagePixels ?? 100_000_000,
  };
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData,
      transferList: [workerData.data],
      resourceLimits: { maxOldGenerationSizeMb: limits.maxHeapMb ?? 512 },
      stdout: true,
      stderr: true,
    });
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      outcome();
    };
    const timeLimit = () => new RenditionFailure(`PDF rendering exceeded the time limit (${limits.timeoutSeconds} s)`);
    const timer = setTimeout(() => settle(() => reject(timeLimit())), limits.timeoutSeconds * 1000);
    worker.on('message', (message: { error?: string; pageCount?: number; png?: Uint8Array }) =>
      settle(() => {
        if (message.error !== undefined || !message.png || !message.pageCount) {
          reject(new RenditionFailure(`PDF could not be rendered: ${message.error ?? 'no page'}`));
        } else {
          resolve({ pageCount: message.pageCount, png: Buffer.from(message.png) });
        }
      }),
    );
    worker.on('error', (error) =>
      settle(() => reject(new RenditionFailure(`PDF renderer failed: ${describeCause(error)}`, { cause: error }))),
    );
    worker.on('exit', (code) =>
      settle(() => reject(new RenditionFailure(`PDF renderer stopped unexpectedly (exit code ${code})`))),
    );
  });
}
