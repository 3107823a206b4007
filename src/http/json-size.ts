import type { NextFunction, Request, Response } from 'express';

/** What body-parser raises for a body over its limit; the exception filter answers it 413 by its `type`. */
class JsonTooLargeError extends Error {
  readonly type = 'entity.too.large';
  readonly status = 413;
  readonly expose = true;
}

/**
 * Refuses a JSON body whose declared length is over `limitBytes` before reading it. body-parser knows from the
 * Content-Length too, but reads the whole body (and throws it away) before answering: a client declaring 10 GB had
 * 10 GB read. A body without a length is still cut by body-parser as it passes the limit.
 */
export function refuseOversizedJson(limitBytes: number) {
  return (request: Request, _response: Response, next: NextFunction): void => {
    const declared = Number(request.headers['content-length']);
    if (declared > limitBytes && request.is('json')) return next(new JsonTooLargeError('request entity too large'));
    next();
  };
}
