import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** Seconds; uploads and downloads of large files legitimately take minutes. */
const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const JOB_DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600];

/**
 * The application's Prometheus metrics. Each instance owns its registry (never prom-client's global one), so
 * several apps in one process — the integration tests — do not collide. Other modules record through the typed
 * metrics below; they inject this service as `@Optional()` so they work without it.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration, by method, route pattern (not the raw URL) and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: HTTP_DURATION_BUCKETS,
    registers: [this.registry],
  });

  readonly uploadBytes = new Counter({
    name: 'mediavault_upload_bytes_total',
    help: 'Bytes of uploaded files that were accepted and recorded (refused files are not counted)',
    registers: [this.registry],
  });

  readonly dedupHits = new Counter({
    name: 'mediavault_dedup_hits_total',
    help: 'Uploaded files whose content was already stored (the new copy was dropped, the stored one reused)',
    registers: [this.registry],
  });

  readonly approvals = new Counter({
    name: 'mediavault_approvals_total',
    help: 'Pending files approved into the library (single and bulk approvals)',
    registers: [this.registry],
  });

  readonly jobDuration = new Histogram({
    name: 'mediavault_job_duration_seconds',
    help: 'Duration of completed maintenance job runs',
    labelNames: ['job'] as const,
    buckets: JOB_DURATION_BUCKETS,
    registers: [this.registry],
  });

  readonly objectsCollected = new Counter({
    name: 'mediavault_objects_collected_total',
    help: 'Objects removed from storage by the deletion outbox (released content, duplicate uploads, orphans)',
    registers: [this.registry],
  });

  readonly renditions = new Counter({
    name: 'mediavault_renditions_total',
    help: 'Rendition jobs processed, by outcome (ready, unsupported, retry, failed, discarded)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly renditionDuration = new Histogram({
    name: 'mediavault_rendition_duration_seconds',
    help: 'Time to render one content (read, decode, encode), by outcome',
    labelNames: ['outcome'] as const,
    buckets: JOB_DURATION_BUCKETS,
    registers: [this.registry],
  });

  readonly renditionYieldSeconds = new Counter({
    name: 'mediavault_rendition_yield_seconds_total',
    help: 'Time renders waited for requests to leave the CPU (RENDITION_YIELD_SECONDS)',
    registers: [this.registry],
  });

  readonly storageErrors = new Counter({
    name: 'mediavault_storage_errors_total',
    help: 'Object storage requests that failed (storage unavailable, timeouts), by operation',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });

  readonly loginFailures = new Counter({
    name: 'mediavault_login_failures_total',
    help: 'Logins refused for a wrong e-mail or password (not counting attempts refused by the login throttle)',
    registers: [this.registry],
  });

  readonly loginThrottled = new Counter({
    name: 'mediavault_login_throttled_total',
    help:
      'Login attempts refused with 429 by the login throttle, by the limit that held them: ' +
      'address (all accounts) or account (address and account)',
    labelNames: ['scope'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Both scopes are exported from the start (at 0), so an alert on them needs no "absent" special case.
    for (const scope of ['address', 'account']) this.loginThrottled.inc({ scope }, 0);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
