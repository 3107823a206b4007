/**
 * Observability: JSON request logs carrying the request id (and never a credential), Prometheus metrics with
 * route patterns and the domain counters, and the metrics endpoint's network allow-list.
 */
import { Writable } from 'node:stream';
import { ADMIN_PASSWORD, useTestApp } from '../support/app.js';
import { approve, content, drainDeletions, upload } from '../support/files.js';
import { useOwnStorage } from '../support/storage-server.js';
import { sample } from '../support/metrics.js';

/** Collects every line the app's pino logger writes. */
class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.lines.push(...chunk.toString().split('\n').filter(Boolean));
    callback();
  }
  entries(): Array<Record<string, unknown>> {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

describe('observability: request logs and metrics', () => {
  const logs = new LogCapture();

  const t = useTestApp({ appOptions: { logger: ['log', 'warn', 'error'], logDestination: logs } });

  it('logs one JSON line per request, with the request id of the header and error body, no credential', async () => {
    const admin = await t.adminAuth();
    const token = admin.replace('Bearer ', '');
    const failed = await t.http
      .get('/api/auth/me')
      .set('Authorization', 'Bearer not-a-real-token-5f1c')
      .set('X-Request-Id', 'ops-log-test-1');
    expect(failed.status).toBe(401);
    expect(failed.body.requestId).toBe('ops-log-test-1');
    const job = await t.http
      .post('/api/admin/maintenance/expire-pending')
      .set('Authorization', admin)
      .set('X-Request-Id', 'ops-log-test-2');
    expect(job.status).toBe(200);

    const entries = logs.entries(); // every line parses as JSON
    const failedLine = entries.find((entry) => entry.requestId === 'ops-log-test-1' && entry.res !== undefined);
    expect(failedLine).toMatchObject({
      level: 30,
      requestId: 'ops-log-test-1',
      req: { method: 'GET', url: '/api/auth/me' },
      res: { statusCode: 401 },
      msg: 'request completed',
    });
    expect(typeof failedLine!.responseTime).toBe('number');
    expect(typeof failedLine!.time).toBe('string');
    const login = entries.find((entry) => (entry.req as { url?: string } | undefined)?.url === '/api/auth/login');
    expect(login).toMatchObject({ res: { statusCode: 200 } });
    expect(login!.requestId).toEqual(expect.any(String));
    // A line written by the code while serving a request (the job's Nest logger) carries that request's id.
    expect(entries).toContainEqual(
      expect.objectContaining({
        requestId: 'ops-log-test-2',
        context: 'MaintenanceJobs',
        msg: expect.stringContaining('expire-pending'),
      }),
    );

    const everything = logs.lines.join('\n');
    expect(everything).not.toContain(ADMIN_PASSWORD);
    expect(everything).not.toContain(token);
    expect(everything).not.toContain('not-a-real-token-5f1c');
    expect(everything.toLowerCase()).not.toContain('authorization');
    expect(everything).not.toMatch(/"password"\s*:/);
  });

  it("logs a signed media URL without its signature, and its route's pattern in the metrics", async () => {
    const admin = await t.adminAuth();
    const uploaded = await upload(t, admin, content('ops-media-url'));
    const url = (uploaded.pendingFile as unknown as { urls: { content: string } }).urls.content;
    const signature = url.split('/').pop()!;
    const served = await t.http.get(url).set('X-Request-Id', 'ops-media-url-1');
    expect(served.status).toBe(200);
    const line = logs.entries().find((entry) => entry.requestId === 'ops-media-url-1' && entry.res !== undefined);
    expect(line).toMatchObject({ req: { url: url.replace(signature, '[signature]') }, res: { statusCode: 200 } });
    expect(logs.lines.join('\n')).not.toContain(signature);
    const metrics = await t.http.get('/api/metrics');
    expect(metrics.text).toContain('route="/api/media/:kind/:id/:hash/:scope/:expires/:signature"');
  });

  it('counts uploads, dedup hits, approvals, job durations, collected objects, requests by route pattern', async () => {
    const admin = await t.adminAuth();
    const before = await t.http.get('/api/metrics');
    expect(before.status).toBe(200);
    const uploadBytesBefore = sample(before.text, 'mediavault_upload_bytes_total') ?? 0;

    const bytes = content('ops-metrics');
    const first = await upload(t, admin, bytes, 'first.txt');
    expect(first.status).toBe('pending');
    const again = await upload(t, admin, bytes, 'again.txt'); // same content: the stored copy is reused
    expect(again.status).toBe('pending_updated');
    expect((await approve(t, admin, first.pendingFile!.id)).status).toBe(201);
    const exists = await upload(t, admin, bytes, 'third.txt'); // an active media file has it now
    expect(exists.status).toBe('exists');
    await drainDeletions(t); // the two dropped duplicate copies
    const job = await t.http.post('/api/admin/maintenance/collect-garbage').set('Authorization', admin);
    expect(job.status).toBe(200);
    expect((await t.http.get(`/api/files/${first.pendingFile!.id}`).set('Authorization', admin)).status).toBe(404);
    expect((await t.http.get('/api/no-such-route')).status).toBe(404);

    const response = await t.http.get('/api/metrics');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const metrics = response.text;

    expect(sample(metrics, 'mediavault_upload_bytes_total')).toBe(uploadBytesBefore + 3 * bytes.length);
    expect(sample(metrics, 'mediavault_dedup_hits_total')).toBe(2);
    expect(sample(metrics, 'mediavault_approvals_total')).toBe(1);
    expect(sample(metrics, 'mediavault_objects_collected_total')).toBeGreaterThanOrEqual(2);
    expect(sample(metrics, 'mediavault_job_duration_seconds_count', { job: 'collect-garbage' })).toBe(1);
    expect(metrics).toContain('# TYPE mediavault_storage_errors_total counter');

    const http = (method: string, route: string, status: string) =>
      sample(metrics, 'http_request_duration_seconds_count', { method, route, status });
    expect(http('POST', '/api/uploads', '201')).toBeGreaterThanOrEqual(3);
    expect(http('POST', '/api/pending/:id/approve', '201')).toBe(1);
    expect(http('POST', '/api/admin/maintenance/:job', '200')).toBeGreaterThanOrEqual(1);
    expect(http('GET', '/api/files/:id', '404')).toBe(1);
    expect(http('GET', '/api/metrics', '200')).toBeGreaterThanOrEqual(1);
    expect(http('GET', 'unmatched', '404')).toBe(1);
    const le = (bound: string) =>
      sample(metrics, 'http_request_duration_seconds_bucket', {
        method: 'POST',
        route: '/api/uploads',
        status: '201',
        le: bound,
      });
    expect(le('+Inf')).toBe(http('POST', '/api/uploads', '201'));
    expect(le('300')).toBeDefined(); // buckets reach minutes: large uploads take that long
    // Route patterns, never raw URLs: no id ever becomes a label value.
    expect(metrics).not.toMatch(/route="[^"]*[0-9a-f]{8}-[0-9a-f]{4}-/);
    // Process metrics come along.
    expect(metrics).toContain('process_cpu_user_seconds_total');
  });
});

describe('metrics access and storage errors', () => {
  // A storage server of its own, to stop: the run's shared one serves every other spec.
  const storage = useOwnStorage();
  const t = useTestApp({
    env: () => ({ ...storage.env(), METRICS_ALLOWED_IPS: '10.0.0.0/8, 192.0.2.7', TRUST_PROXY: 'loopback' }),
  });

  it('serves metrics only to the configured networks, judging the client address behind a trusted proxy', async () => {
    const refused = await t.http.get('/api/metrics'); // 127.0.0.1 is not in the list here
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({
      statusCode: 403,
      error: 'Forbidden',
      code: 'FORBIDDEN',
      message: expect.any(String),
    });
    expect((await t.http.get('/api/metrics').set('X-Forwarded-For', '10.20.30.40')).status).toBe(200);
    expect((await t.http.get('/api/metrics').set('X-Forwarded-For', '192.0.2.7')).status).toBe(200);
    expect((await t.http.get('/api/metrics').set('X-Forwarded-For', '192.0.2.8')).status).toBe(403);
    // A token does not help: the allow-list is the only way in.
    expect((await t.http.get('/api/metrics').set('Authorization', await t.adminAuth())).status).toBe(403);
  });

  it('counts failed storage requests by operation', async () => {
    await storage.stop();
    expect((await t.http.get('/api/health')).status).toBe(503);
    const metrics = await t.http.get('/api/metrics').set('X-Forwarded-For', '10.0.0.1');
    expect(metrics.status).toBe(200);
    expect(sample(metrics.text, 'mediavault_storage_errors_total', { operation: 'ping' })).toBeGreaterThanOrEqual(1);
  });
});
