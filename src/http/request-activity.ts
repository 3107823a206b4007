import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/** Monitoring polls these all the time; they are not work anyone waits for. */
const MONITORING_PATHS = new Set(['/api/health', '/api/metrics']);

/**
 * How many requests this process is serving right now (monitoring excluded). The rendition worker of an instance
 * that also serves the API (`MEDIAVAULT_ROLE=all`) holds new renders while there are any.
 */
@Injectable()
export class RequestActivity {
  private active = 0;

  get activeRequests(): number {
    return this.active;
  }

  /** Counts a request until its response is done or its client went away. */
  track(request: Request, response: Response): void {
    if (MONITORING_PATHS.has(request.path)) return;
    this.active += 1;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      this.active -= 1;
    };
    response.once('finish', finish);
    response.once('close', finish);
  }
}

@Injectable()
export class RequestActivityMiddleware implements NestMiddleware {
  constructor(private readonly activity: RequestActivity) {}

  use(request: Request, response: Response, next: NextFunction): void {
    this.activity.track(request, response);
    next();
  }
}
