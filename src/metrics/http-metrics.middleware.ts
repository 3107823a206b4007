import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { MetricsService } from './metrics.service.js';

/** Label for requests no route matched, so scanners probing random URLs cannot blow up the label set. */
const UNMATCHED_ROUTE = 'unmatched';

/**
 * Times every request and records it under its route *pattern* (`/api/files/:id`), which Express knows once the
 * route matched; the raw URL would give a time series per file id.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: MetricsService) {}

  use(request: Request, response: Response, next: NextFunction): void {
    const stopTimer = this.metrics.httpRequestDuration.startTimer();
    let recorded = false;
    const record = () => {
      if (recorded) return;
      recorded = true;
      stopTimer({ method: request.method, route: routePatternOf(request), status: String(response.statusCode) });
    };
    // `finish`: the response was fully handed to the OS; `close` alone: the client went away first.
    response.once('finish', record);
    response.once('close', record);
    next();
  }
}

function routePatternOf(request: Request): string {
  // Express types `route` as any: read it as what it may be.
  const route = (request as { route?: { path?: unknown } }).route;
  // Nest answers unknown paths from a catch-all route (`/api*path`); none of ours has a wildcard.
  if (!route || typeof route.path !== 'string' || route.path.includes('*')) return UNMATCHED_ROUTE;
  return `${request.baseUrl ?? ''}${route.path}`;
}
