import { Global, Module } from '@nestjs/common';
import { RateLimiter } from './rate-limit.js';

/**
 * The HTTP edge's injectable part: the rate limiter behind `@RateLimit` (global, so any controller may use it).
 * Security headers and CORS: http-protection.ts; graceful shutdown: shutdown.ts.
 */
@Global()
@Module({
  providers: [RateLimiter],
  exports: [RateLimiter],
})
export class HttpEdgeModule {}
