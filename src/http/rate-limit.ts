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
 * Limits a route to UPLOAD_RATE_LIMIT requests per minute. As a route guard it runs after
 * the global authentication guard, so the upload limit can count per user.
 */
export function RateLimit(name: RateLimitName) {
  return applyDecorators(SetMetadata(RATE_LIMIT, name), UseGuards(RateLimitGuard));
}

export class TooManyRequestsException extends DomainException {
  constructor(retryAfterSeconds: number) {
    super('TOO_MANY_REQUESTS', `Too many requests, try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
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
    for (const [key, times] of this.hits) {
      if (times[times.length - 1] <= now - WINDOW_MS) this.hits.delete(key);
    }
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
    const limit = this.config.uploadRateLimitPerMinute;
    if (limit === 0) return true;
    const request = context.switchToHttp().getRequest<Request & { user?: { id: string } }>();
    // Per user (the route is authenticated), so users sharing an address do not share a budget.
    const tracker = request.user ? `user:${request.user.id}` : `ip:${request.ip}`;
    const retryAfterSeconds = this.limiter.take(`${name}|${tracker}`, limit);
    if (retryAfterSeconds === 0) return true;
    context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(retryAfterSeconds));
    throw new TooManyRequestsException(retryAfterSeconds);
  }
}
