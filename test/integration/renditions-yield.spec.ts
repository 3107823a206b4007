/**
 * Rendering gives way to requests (RENDITION_YIELD_SECONDS): an instance that also serves the API takes no job
 * and starts no background render while a request is in progress, and renders once it ends; a run someone waits
 * for (the admin's generate-renditions) never holds. The host-CPU half of the rule has its unit spec
 * (render-yield.spec).
 */
import { request as httpRequest, type ClientRequest } from 'node:http';
import { DataSource } from 'typeorm';
import { RequestActivity } from '../../src/http/request-activity.js';
import { MetricsService } from '../../src/metrics/metrics.service.js';
import { RenditionWorker } from '../../src/renditions/rendition-worker.service.js';
import { RenditionsService } from '../../src/renditions/renditions.service.js';
import { useTestApp, type UsedTestApp } from '../support/app.js';
import { upload } from '../support/files.js';
import { solidImage } from '../support/media.js';
import { waitUntil } from '../support/wait.js';

const YIELDING = {
  RENDITION_YIELD_SECONDS: '60',
  // Only this instance's own requests count here: other spec files keep the host's CPU busy.
  RENDITION_YIELD_CPU_PERCENT: '100000',
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function yieldedSeconds(t: UsedTestApp): Promise<number> {
  return (await t.get(MetricsService).renditionYieldSeconds.get()).values[0]?.value ?? 0;
}

/** The queue's own row: whether a worker took the job (a lease, an attempt). */
async function jobRow(t: UsedTestApp, hash: string): Promise<{ status: string; attempts: number }> {
  const [row] = await t
    .get(DataSource)
    .query<Array<{ status: string; attempts: number }>>('SELECT status, attempts FROM rendition_jobs WHERE hash = $1', [
      hash,
    ]);
  return row;
}

async function renditionStatus(t: UsedTestApp, hash: string): Promise<string | undefined> {
  return (await t.get(RenditionsService).statusFor([hash])).get(hash)?.status;
}

/** Ended after each spec, so a failed one leaves no request in progress to hold the next one's renders. */
const inProgress = new Set<() => void>();

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
  const end = () => {
    if (request.writableEnded) return;
    clearInterval(keepAlive);
    request.end(`\r\n--${boundary}--\r\n`);
  };
  inProgress.add(end);
  return { request, end };
}

describe('an instance that serves requests and renders (MEDIAVAULT_ROLE=all)', () => {
  const t = useTestApp({ env: { ...YIELDING, MEDIAVAULT_ROLE: 'all' }, listen: true });

  afterEach(() => {
    for (const end of inProgress) end();
    inProgress.clear();
    delete t.get(RenditionWorker).hooks.beforeRender;
    delete t.get(RenditionWorker).hooks.awaitingRenderSlot;
    delete t.get(RenditionWorker).hooks.rendering;
  });

  it('takes no job while a request is in progress, and renders once it ends', async () => {
    const admin = await t.adminAuth();
    const url = await t.app.getUrl();
    const slow = await requestInProgress(url, admin);
    const answered = new Promise<number>((resolve) => slow.request.on('response', (r) => resolve(r.statusCode!)));
    await waitUntil('the slow upload in progress', () => t.get(RequestActivity).activeRequests === 1);

    const claimed: string[] = [];
    t.get(RenditionWorker).hooks.beforeRender = async (job) => void claimed.push(job.hash);
    const { hash } = await upload(t, admin, await solidImage(640, 480, '#1188ee').png().toBuffer(), 'held.png');
    t.get(RenditionsService).wake();

    await sleep(1000); // a lane that did not wait would have claimed it within a poll or two
    expect(claimed).not.toContain(hash);
    // Not even leased: another instance, idle, could take it meanwhile.
    expect(await jobRow(t, hash)).toEqual({ status: 'pending', attempts: 0 });

    slow.end();
    expect(await answered).toBe(201);
    await waitUntil('the held job rendered', async () => (await renditionStatus(t, hash)) === 'ready');
    expect(claimed).toContain(hash);
    expect(await yieldedSeconds(t)).toBeGreaterThanOrEqual(1);
  });

  it('holds a render whose job it took before a request began, and renders once the request ends', async () => {
    const admin = await t.adminAuth();
    const url = await t.app.getUrl();
    let slow: Awaited<ReturnType<typeof requestInProgress>> | undefined;
    const downloaded: string[] = [];
    const rendered: string[] = [];
    // The job is taken on a quiet host; the request begins while its content is in hand, before the render.
    t.get(RenditionWorker).hooks.awaitingRenderSlot = async (job) => {
      slow ??= await requestInProgress(url, admin);
      await waitUntil('the slow upload in progress', () => t.get(RequestActivity).activeRequests === 1);
      downloaded.push(job.hash);
    };
    t.get(RenditionWorker).hooks.rendering = async (job) => void rendered.push(job.hash);
    const { hash } = await upload(t, admin, await solidImage(480, 640, '#ee1188').png().toBuffer(), 'late.png');
    t.get(RenditionsService).wake();

    await waitUntil('the job downloaded', () => downloaded.includes(hash));
    const answered = new Promise<number>((resolve) => slow!.request.on('response', (r) => resolve(r.statusCode!)));
    await sleep(1000); // a render that did not wait would have started within a poll or two
    expect(rendered).not.toContain(hash);
    expect(await renditionStatus(t, hash)).toBe('pending');

    slow!.end();
    expect(await answered).toBe(201);
    await waitUntil('the held render recorded', async () => (await renditionStatus(t, hash)) === 'ready');
    expect(rendered).toContain(hash);
  });

  it('holds a render that was under way when a request began, between its steps, until the request ends', async () => {
    const admin = await t.adminAuth();
    const url = await t.app.getUrl();
    let slow: Awaited<ReturnType<typeof requestInProgress>> | undefined;
    // The render starts on a quiet host (past its first look); the request begins as it starts.
    t.get(RenditionWorker).hooks.rendering = async () => {
      slow ??= await requestInProgress(url, admin);
      await waitUntil('the slow upload in progress', () => t.get(RequestActivity).activeRequests === 1);
    };
    const yieldedBefore = await yieldedSeconds(t);
    const { hash } = await upload(t, admin, await solidImage(1200, 900, '#11ee88').jpeg().toBuffer(), 'under-way.jpg');
    t.get(RenditionsService).wake();

    await waitUntil('the render under way', () => slow !== undefined);
    const answered = new Promise<number>((resolve) => slow!.request.on('response', (r) => resolve(r.statusCode!)));
    await sleep(1000); // a render that did not stop between its steps would have finished within a few ms
    expect(await jobRow(t, hash)).toEqual({ status: 'running', attempts: 1 });

    slow!.end();
    expect(await answered).toBe(201);
    await waitUntil('the held render recorded', async () => (await renditionStatus(t, hash)) === 'ready');
    expect((await yieldedSeconds(t)) - yieldedBefore).toBeGreaterThanOrEqual(0.9);
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
