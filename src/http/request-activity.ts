import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/** Monitoring polls these all the time; they are not work anyone waits for. */
const MONITORING_PATHS = new Set(['/api/health', '/api/metrics']);

/**
 * How many requests this process is working on right now: from their arrival until their answer starts (its
 * headers go out), monitoring excluded. The rendition worker of an instance that also serves the API
 * (`MEDIAVAULT_ROLE=all`) holds new renders while there are any. An upload counts until it is answered; a long
 * download stops counting once its bytes start flowing (it then waits on the client, not on the CPU).
 */
@Injectable()
export class RequestActivity {
  private active = 0;

  get activeRequests(): number {
    return this.active;
  }

  track(request: Request, response: Response): void {
    if (MONITORING_PATHS.has(request.path)) return;
    this.active += 1;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      this.active -= 1;
    };
    // Every answer goes through writeHead (Node calls it implicitly on the first write): the on-headers technique.
    const writeHead = response.writeHead.bind(response);
    response.writeHead = ((...args: Parameters<Response['writeHead']>) => {
      finish();
      return writeHead(...args);
    }) as Response['writeHead'];
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
