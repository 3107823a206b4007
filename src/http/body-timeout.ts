import type { NextFunction, Request, Response } from 'express';
import type { AllExceptionsFilter } from '../common/errors/all-exceptions.filter.js';
import { DomainException } from '../common/errors/domain.exception.js';
import { requestIdOf } from '../common/request-id.middleware.js';

export interface BodyTimeoutOptions {
  /** 0 disables the check. */
  timeoutMs: number;
  /** The progress a body must make in each `timeoutMs` while the server waits for it. */
  minBytes: number;
}

class RequestBodyTimeoutException extends DomainException {
  constructor(timeoutMs: number, minBytes: number) {
    super('REQUEST_TIMEOUT', 'The request body stopped arriving', { timeoutSeconds: timeoutMs / 1000, minBytes });
  }
}

/**
 * Cuts request bodies that trickle in. The idle-socket timeout is reset by every byte, so a client sending one
 * byte every few seconds held its connection (and an upload's claim) for as long as it liked, and the whole-request
 * deadline is off because a multi-GB upload may rightly take hours. Instead, a body must deliver `minBytes` in
 * every `timeoutMs` in which the server is waiting for it: a slow but moving upload goes on, a stalled or trickling
 * one is answered 408 and its connection closed, which aborts whatever was reading it (an upload releases its claim).
 *
 * Waiting on the server does not count: while the request stream is paused or holds unread bytes (storage slow to
 * take the previous bytes), the client is not to blame and the period starts over. The 408's body is written by
 * `filter`, the app's one exception filter.
 */
export function bodyTimeoutMiddleware(options: BodyTimeoutOptions, filter: AllExceptionsFilter) {
  return (request: Request, response: Response, next: NextFunction): void => {
    if (options.timeoutMs > 0 && hasBody(request)) watchBody(request, response, options, filter);
    next();
  };
}

function hasBody(request: Request): boolean {
  return request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
}

function watchBody(request: Request, response: Response, options: BodyTimeoutOptions, filter: AllExceptionsFilter) {
  const { socket } = request;
  // The socket's byte counter also sees bytes the HTTP parser consumes without emitting them as socket data.
  let periodStart = Date.now();
  let periodBytes = socket.bytesRead;
  const timer = setInterval(
    () => {
      if (request.complete || socket.destroyed) return stop();
      const now = Date.now();
      const read = socket.bytesRead;
      const waitingOnUs = request.isPaused() || request.readableLength > 0;
      if (waitingOnUs || read - periodBytes >= options.minBytes) {
        periodStart = now;
        periodBytes = read;
        return;
      }
      if (now - periodStart < options.timeoutMs) return;
      stop();
      const exception = new RequestBodyTimeoutException(options.timeoutMs, options.minBytes);
      timeOut(request, response, filter.toErrorBody(exception, requestIdOf(request)));
    },
    Math.max(50, Math.min(1000, Math.floor(options.timeoutMs / 10))),
  );
  timer.unref();
  const stop = () => clearInterval(timer);
  // Not stopped by the response: one answered early (401, 429) leaves Node reading the rest of the body to keep the
  // connection, and a trickling client held it for as long as it liked.
  request.once('end', stop);
  socket.once('close', stop);
}

function timeOut(request: Request, response: Response, body: object): void {
  // Whatever reads the body (an upload, the JSON parser) must learn that it ends here, or it would wait forever
  // (holding the upload's claim): once the response is sent, the request stream fails, then the socket closes.
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    request.destroy(new Error('The request body timed out'));
    request.socket.destroy();
  };
  if (response.headersSent) return close();
  response.once('finish', close);
  // A client that does not read its answer either must not keep the socket.
  setTimeout(close, 1000).unref();
  response.status(408).set('Connection', 'close').json(body);
}
