import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { Request, Response } from 'express';
import { DomainException } from './domain.exception.js';
import { ERROR_STATUS, type ErrorCode } from './error-codes.js';
import { isDatabaseUnavailableError, isTransientConflict } from './database-errors.js';
import { requestIdOf } from '../request-id.middleware.js';
import { loggableUrl } from '../../logging/loggable-url.js';

export interface ErrorBody {
  statusCode: number;
  error: string;
  code: ErrorCode;
  message: string;
  /** Always an object (possibly empty), so clients read `details.x` without checking for it first. */
  details: Record<string, unknown>;
  requestId?: string;
}

/** Codes for the HTTP exceptions Nest and its libraries raise themselves (routing, guards, throttling). */
const CODE_FOR_HTTP_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'ROUTE_NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  416: 'RANGE_NOT_SATISFIABLE',
  429: 'TOO_MANY_REQUESTS',
  503: 'SERVICE_UNAVAILABLE',
};

/**
 * The one place where any thrown error becomes the contract's error body. Nothing internal (stack, SQL,
 * bucket, storage key) is ever sent; unexpected errors are logged with the request id and answered 500.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const requestId = request ? requestIdOf(request) : undefined;
    const body = this.toErrorBody(exception, requestId);

    if (body.statusCode >= 500) {
      this.logger.error(
        { requestId, method: request?.method, url: loggableUrl(request?.originalUrl), code: body.code },
        exception instanceof Error ? exception.stack : String(exception),
      );
    }
    if (!response || response.headersSent) {
      // A streamed response already started: the only honest thing left is to cut the connection.
      response?.destroy?.();
      return;
    }
    // Whoever throttles (a guard or a service) says how long to wait in the details; the header says it to HTTP.
    const retryAfter = body.details?.retryAfterSeconds;
    if (body.statusCode === 429 && typeof retryAfter === 'number')
      response.setHeader('Retry-After', String(retryAfter));
    response.status(body.statusCode).json(body);
  }

  toErrorBody(exception: unknown, requestId?: string): ErrorBody {
    if (exception instanceof DomainException) {
      return this.body(ERROR_STATUS[exception.code], exception.code, exception.message, exception.details, requestId);
    }
    // Nest wraps body-parser failures (malformed JSON, body too large) in an HttpException whose cause is the original.
    const bodyParserError = asBodyParserError(exception instanceof HttpException ? exception.cause : exception);
    if (bodyParserError) {
      const { status, code, message, details } = bodyParserError;
      return this.body(status, code, message, details, requestId);
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = CODE_FOR_HTTP_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST');
      const message = status === 404 && code === 'ROUTE_NOT_FOUND' ? 'No such route' : messageOf(exception);
      return this.body(status, code, message, undefined, requestId);
    }
    if (isTransientConflict(exception)) {
      // Retries ran out under heavy contention: the client may simply try again.
      return this.body(
        503,
        'SERVICE_UNAVAILABLE',
        'The server is busy with conflicting changes, try again',
        undefined,
        requestId,
      );
    }
    if (isDatabaseUnavailableError(exception)) {
      return this.body(
        503,
        'DATABASE_UNAVAILABLE',
        'The database is unavailable, try again shortly',
        undefined,
        requestId,
      );
    }
    return this.body(
      HttpStatus.INTERNAL_SERVER_ERROR,
      'INTERNAL',
      'Something went wrong on our side',
      undefined,
      requestId,
    );
  }

  private body(
    statusCode: number,
    code: ErrorCode,
    message: string,
    details: Record<string, unknown> | undefined,
    requestId: string | undefined,
  ): ErrorBody {
    return {
      statusCode,
      error: STATUS_CODES[statusCode] ?? 'Error',
      code,
      message,
      details: details ?? {},
      ...(requestId ? { requestId } : {}),
    };
  }
}

function messageOf(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

/** body-parser reports its failures as plain errors with a `type`; they are the client's fault, not ours. */
function asBodyParserError(
  exception: unknown,
): { status: number; code: ErrorCode; message: string; details?: Record<string, unknown> } | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const type = (exception as { type?: unknown }).type;
  switch (type) {
    case 'entity.parse.failed':
      return { status: 400, code: 'MALFORMED_JSON', message: 'The request body is not valid JSON' };
    case 'entity.too.deep': {
      const { maxDepth } = exception as { maxDepth?: unknown };
      const message = `The JSON body is nested deeper than ${String(maxDepth)} levels`;
      return { status: 400, code: 'BAD_REQUEST', message, details: { maxDepth } };
    }
    case 'entity.too.large':
      return { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'The request body is too large' };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Unsupported request body encoding' };
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return { status: 400, code: 'BAD_REQUEST', message: 'The request body could not be read' };
    default:
      return undefined;
  }
}
