import type { NextFunction, Request, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { requestIdOf } from '../common/request-id.middleware.js';
import { runWithRequestLogger } from './app-logger.js';
import { loggableUrl } from './loggable-url.js';

/**
 * One JSON line per request (method, URL, status, duration) carrying the same request id as the `X-Request-Id`
 * header and error bodies (`requestIdMiddleware` must run first). Headers and bodies are never serialized, so
 * neither tokens nor passwords can reach the log, and signed media URLs are logged without their signature. 5xx are
 * logged as `warn`: the exception filter already logs the error itself, with its stack, at `error`.
 */
export function httpLoggingMiddleware(logger: Logger) {
  const middleware = pinoHttp({
    logger,
    quietReqLogger: true,
    customAttributeKeys: { reqId: 'requestId' },
    genReqId: (request: IncomingMessage) => requestIdOf(request as Request) ?? 'unknown',
    serializers: {
      req: (request: { id?: unknown; method?: string; url?: string; raw?: Request }) => ({
        method: request.method,
        url: loggableUrl(request.raw?.originalUrl ?? request.url),
        remoteAddress: request.raw?.ip,
      }),
      res: (response: { statusCode?: number }) => ({ statusCode: response.statusCode }),
    },
    customLogLevel: (_request: IncomingMessage, response: ServerResponse, error?: Error) =>
      error || response.statusCode >= 500 ? 'warn' : 'info',
    customErrorMessage: (_request: IncomingMessage, response: ServerResponse) =>
      response.writableFinished ? 'request failed' : 'request aborted',
  });
  return (request: Request, response: Response, next: NextFunction): void => {
    middleware(request, response, () => bindRequestLogger(request, response, next));
  };
}

/**
 * Makes the request's logger current for everything that runs from `next` on. Body parsers continue from stream
 * callbacks, outside that context, so `configureApp` binds again after them.
 */
export function bindRequestLogger(request: Request, _response: Response, next: NextFunction): void {
  const logger = (request as Request & { log?: Logger }).log;
  if (!logger) return next();
  runWithRequestLogger(logger, next);
}
