import {
  applyDecorators,
  Inject,
  Injectable,
  SetMetadata,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { DomainException } from '../common/errors/domain.exception.js';
import { httpConfig } from '../config/configuration.js';

/** The rate-limited actions; a route opts in with `@RateLimit(name)`. Logins: see src/auth/login-throttle.ts. */
export type RateLimitName = 'upload';

const RATE_LIMIT = Symbol('rateLimit');
const WINDOW_MS = 60_000;

/**
 * Admits an upload request by what protects the server: at most UPLOAD_CONCURRENCY_PER_USER in progress per user and
 * at most UPLOAD_BYTES_PER_MINUTE sent by the user in the last minute (and, only when set, UPLOAD_RATE_LIMIT requests
 * per minute). As a route guard it runs after the global authentication guard, so the limits count per user.
 */
export function RateLimit(name: RateLimitName) {
  return applyDecorators(SetMetadata(RATE_LIMIT, name), UseGuards(RateLimitGuard));
}

export class TooManyRequestsException extends DomainException {
  constructor(
    retryAfterSeconds: number,
    message = `Too many requests, try again in ${retryAfterSeconds} s`,
    extra: Record<string, unknown> = {},
  ) {
    super('TOO_MANY_REQUESTS', message, { retryAfterSeconds, ...extra });
  }
}

/**
 * Sliding-window counters, in memory and per instance: with N instances behind a balancer a client gets up to N
 * times the limit, which is enough to slow down password guessing and runaway clients (a shared store would be
 * needed for more). Each key keeps at most `limit` timestamps.
 *
 * Why not @nestjs/throttler: its latest release (6.7.1) is CommonJS and `require()`s the ESM-only @nestjs/common
 * 12. Node >= 20.19 allows that, but Jest's module runtime does not before Node 24.9, so no spec could boot the app.
 */
@Injectable()
export class RateLimiter implements OnModuleDestroy {
  private readonly hits = new Map<string, number[]>();
  private readonly sweeper = setInterval(() => this.sweep(), WINDOW_MS);

  constructor() {
    this.sweeper.unref();
  }

  /** Counts one request under `key`: 0 when it is allowed, otherwise the whole seconds until one would be. */
  take(key: string, limit: number, windowMs = WINDOW_MS, now = Date.now()): number {
    const recent = (this.hits.get(key) ?? []).filter((at) => at > now - windowMs);
    if (recent.length >= limit) {
      this.hits.set(key, recent);
      return Math.max(1, Math.ceil((recent[0] + windowMs - now) / 1000));
    }
    recent.push(now);
    this.hits.set(key, recent);
    return 0;
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  private sweep(now = Date.now()): void {
    // A list may be empty (asked about, nothing charged yet): it goes too. This runs in a timer, where a throw would
    // end the process.
    const stale = (last: number | undefined) => last === undefined || last <= now - WINDOW_MS;
    for (const [key, times] of this.hits) {
      if (stale(times.at(-1))) this.hits.delete(key);
    }
    for (const [key, sent] of this.bytes) {
      if (stale(sent.at(-1)?.at)) this.bytes.delete(key);
    }
  }

  private readonly inProgress = new Map<string, number>();
  private readonly bytes = new Map<string, Array<{ at: number; bytes: number }>>();

  /** Starts one request under `key` unless `limit` are in progress: answers its release, or undefined. */
  enter(key: string, limit: number): (() => void) | undefined {
    const current = this.inProgress.get(key) ?? 0;
    if (current >= limit) return undefined;
    this.inProgress.set(key, current + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inProgress.get(key) ?? 1) - 1;
      if (left === 0) this.inProgress.delete(key);
      else this.inProgress.set(key, left);
    };
  }

  /** Requests in progress under `key`. */
  active(key: string): number {
    return this.inProgress.get(key) ?? 0;
  }

  /** Records `bytes` sent under `key` now. */
  charge(key: string, bytes: number, now = Date.now()): void {
    if (bytes <= 0) return;
    const sent = this.bytes.get(key) ?? [];
    sent.push({ at: now, bytes });
    this.bytes.set(key, sent);
  }

  /**
   * 0 when the bytes sent under `key` within the window are below `limit`, otherwise the whole seconds until enough of
   * them leave the window.
   */
  bytesWait(key: string, limit: number, windowMs = WINDOW_MS, now = Date.now()): number {
    const recent = (this.bytes.get(key) ?? []).filter((entry) => entry.at > now - windowMs);
    if (recent.length > 0) this.bytes.set(key, recent);
    else this.bytes.delete(key);
    let total = recent.reduce((sum, entry) => sum + entry.bytes, 0);
    if (total < limit) return 0;
    for (const entry of recent) {
      total -= entry.bytes;
      if (total < limit) return Math.max(1, Math.ceil((entry.at + windowMs - now) / 1000));
    }
    return 1;
  }
}

@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limiter: RateLimiter,
    @Inject(httpConfig.KEY) private readonly config: ConfigType<typeof httpConfig>,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const name = this.reflector.get<RateLimitName | undefined>(RATE_LIMIT, context.getHandler());
    if (!name) return true;
    const request = context.switchToHttp().getRequest<Request & { user?: { id: string } }>();
    const response = context.switchToHttp().getResponse<Response>();
    // Per user (the route is authenticated), so users sharing an address do not share a budget.
    const key = `${name}|${request.user ? `user:${request.user.id}` : `ip:${request.ip}`}`;
    const refuse = (retryAfterSeconds: number, message?: string, details?: Record<string, unknown>) => {
      response.setHeader('Retry-After', String(retryAfterSeconds));
      return new TooManyRequestsException(retryAfterSeconds, message, details);
    };

    const { uploadRateLimitPerMinute: perMinute, uploadBytesPerMinute: bytes } = this.config;
    if (bytes > 0) {
      const wait = this.limiter.bytesWait(key, bytes);
      if (wait > 0) {
        throw refuse(wait, `Upload volume limit reached (${bytes} bytes a minute), try again in ${wait} s`, {
          bytesPerMinute: bytes,
        });
      }
    }
    if (perMinute > 0) {
      const wait = this.limiter.take(key, perMinute);
      if (wait > 0) throw refuse(wait);
    }
    const concurrency = this.config.uploadConcurrencyPerUser;
    const release = concurrency > 0 ? this.limiter.enter(key, concurrency) : () => undefined;
    if (!release) {
      throw refuse(1, `At most ${concurrency} uploads at once; wait for one to finish`, {
        maxConcurrentUploads: concurrency,
      });
    }
    // The request's bytes: its Content-Length (browsers always send one), else what its connection read from here
    // until it ends (a chunked body's first packet may already be read: a slight undercount).
    const declared = Number(request.headers['content-length']);
    const socket = request.socket;
    const startBytes = socket.bytesRead;
    const sent = () => (Number.isSafeInteger(declared) && declared > 0 ? declared : socket.bytesRead - startBytes);
    // 'finish' comes before the client can see the answer (its next upload already counts this one); 'close' alone
    // covers a request cut short.
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      release();
      if (bytes > 0) this.limiter.charge(key, sent());
    };
    response.once('finish', end).once('close', end);
    return true;
  }
}
