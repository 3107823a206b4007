import { Global, Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { RateLimiter } from './rate-limit.js';
import { RequestActivity, RequestActivityMiddleware } from './request-activity.js';

/**
 * The HTTP edge's injectable part: the rate limiter behind `@RateLimit` (global, so any controller may use it) and
 * the count of requests in progress (the rendition worker gives way to them). Security headers and CORS:
 * http-protection.ts; graceful shutdown: shutdown.ts.
 */
@Global()
@Module({
  providers: [RateLimiter, RequestActivity],
  exports: [RateLimiter, RequestActivity],
})
export class HttpEdgeModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestActivityMiddleware).forRoutes({ path: '*path', method: RequestMethod.ALL });
  }
}
