/**
 * Rendering gives way to requests (RENDITION_YIELD_SECONDS): an instance that also serves the API holds its
 * background renders while a request is in progress, and renders once it ends; a run someone waits for (the
 * admin's generate-renditions) never holds. The host-CPU half of the rule has its unit spec (render-yield.spec).
 */
import { request as httpRequest, type ClientRequest } from 'node:http';
import { RequestActivity } from '../../src/http/request-activity.js';
import { MetricsService } from '../../src/metrics/metrics.service.js';
import { RenditionWorker } from '../../src/renditions/rendition-worker.service.js';
import { RenditionsService } from '../../src/renditions/renditions.service.js';
import { useTestApp, type UsedTestApp } from '../support/app.js';
import { upload } from '../support/files.js';
import { solidImage } from '../support/media.js';

const YIELDING = {
  RENDITION_YIELD_SECONDS: '60',
  // Only this instance's own requests count here: other spec files keep the host's CPU busy.
  RENDITION_YIELD_CPU_PERCENT: '100000',
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(what: string, condition: () => Promise<boolean> | boolean): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (await condition()) return;
    await sleep(50);
  }
  throw new Error(`${what}: not reached in 10 s`);
}

async function yieldedSeconds(t: UsedTestApp): Promise<number> {
  return (await t.get(MetricsService).renditionYieldSeconds.get()).values[0]?.value ?? 0;
}

async function renditionStatus(t: UsedTestApp, hash: string): Promise<string | undefined> {
  return (await t.get(RenditionsService).statusFor([hash])).get(hash)?.status;
}

/** An upload whose body keeps coming: a request in progress until `end()`. */
async function requestInProgress(url: string, auth: string): Promise<{ request: ClientRequest; end(): void }> {
  const boundary = 'mediavault-yield-spec';
  const request = httpRequest(`${url}/api/uploads`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': `multipart/form-data; boundary=${boundary}` },
  });
  request.on('error', () => undefined);
  request.write(`--${boundary}\r\ncontent-disposition: form-data; name="files"; filename="slow.txt"\r\n\r\nslow`);
  const keepAlive = setInterval(() => request.write('.'), 200);
  return {
    request,
    end: () => {
      clearInterval(keepAlive);
      request.end(`\r\n--${boundary}--\r\n`);
    },
  };
}

describe('an instance that serves requests and renders (MEDIAVAULT_ROLE=all)', () => {
  const t = useTestApp({ env: { ...YIELDING, MEDIAVAULT_ROLE: 'all' }, listen: true });

  afterEach(() => {
    delete t.get(RenditionWorker).hooks.awaitingRenderSlot;
    delete t.get(RenditionWorker).hooks.rendering;
  });

  it('holds background renders while a request is in progress, and renders once it ends', async () => {
    const admin = await t.adminAuth();
    const url = await t.app.getUrl();
    const slow = await requestInProgress(url, admin);
    const answered = new Promise<number>((resolve) => slow.request.on('response', (r) => resolve(r.statusCode!)));
    await waitUntil('the slow upload in progress', () => t.get(RequestActivity).activeRequests === 1);

    const downloaded: string[] = [];
    const rendered: string[] = [];
    t.get(RenditionWorker).hooks.awaitingRenderSlot = async (job) => void downloaded.push(job.hash);
    t.get(RenditionWorker).hooks.rendering = async (job) => void rendered.push(job.hash);
    const { hash } = await upload(t, admin, await solidImage(640, 480, '#1188ee').png().toBuffer(), 'held.png');
    t.get(RenditionsService).wake();

    await waitUntil('the job downloaded', () => downloaded.includes(hash));
    await sleep(1000); // a render that did not wait would have started within a poll or two
    expect(rendered).not.toContain(hash);
    expect(await renditionStatus(t, hash)).toBe('pending');

    slow.end();
    expect(await answered).toBe(201);
    await waitUntil('the held render recorded', async () => (await renditionStatus(t, hash)) === 'ready');
    expect(rendered).toContain(hash);
    expect(await yieldedSeconds(t)).toBeGreaterThanOrEqual(1);
  });
});

describe('a run someone waits for', () => {
  const t = useTestApp({ env: { ...YIELDING, MEDIAVAULT_ROLE: 'api' } });

  it("renders at once even while requests are in progress (the admin's own generate-renditions)", async () => {
    const admin = await t.adminAuth();
    const { hash } = await upload(t, admin, await solidImage(320, 200, '#ee8811').png().toBuffer(), 'now.png');
    // In progress through the whole run: had the run given way, it would have waited RENDITION_YIELD_SECONDS (60 s).
    const response = await t.http.post('/api/admin/maintenance/generate-renditions').set('Authorization', admin);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ ready: 1 });
    expect(await renditionStatus(t, hash)).toBe('ready');
    expect(await yieldedSeconds(t)).toBe(0);
  });
});
