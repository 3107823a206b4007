import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ErrorBody } from '../common/errors/all-exceptions.filter.js';
import { ERROR_STATUS, type ErrorCode } from '../common/errors/error-codes.js';

/**
 * Errors Node's HTTP parser raises before there is a request (headers too large, malformed request line, headers
 * that never finish), and an `Expect` other than `100-continue` (417): Node would answer them with an empty body,
 * outside Nest and its exception filter. They get the contract's error body here, with a request id of their own
 * (no middleware has run to give one).
 */
export function answerClientErrorsWithErrorBodies(server: Server): void {
  server.on('checkExpectation', (_request: IncomingMessage, response: ServerResponse) => {
    const { statusCode, headers, json } = errorParts('EXPECTATION_FAILED');
    // The body was not read: the connection can not be used again.
    response.writeHead(statusCode, { ...headers, Connection: 'close' }).end(json);
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable || socket.bytesWritten > 0) {
      socket.destroy();
      return;
    }
    socket.end(errorResponse(codeFor(error.code)));
    // A client that never reads its answer must not keep the socket.
    setTimeout(() => socket.destroy(), 1000).unref();
  });
}

function codeFor(parserCode: string | undefined): ErrorCode {
  switch (parserCode) {
    case 'HPE_HEADER_OVERFLOW':
      return 'REQUEST_HEADERS_TOO_LARGE';
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 'PAYLOAD_TOO_LARGE';
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 'REQUEST_TIMEOUT';
    default:
      return 'BAD_REQUEST';
  }
}

const MESSAGES: Partial<Record<ErrorCode, string>> = {
  REQUEST_HEADERS_TOO_LARGE: 'The request headers are too large',
  PAYLOAD_TOO_LARGE: 'The request body is too large',
  REQUEST_TIMEOUT: 'The request took too long to arrive',
  BAD_REQUEST: 'The request could not be parsed',
  EXPECTATION_FAILED: 'Only the expectation 100-continue is supported',
};

function errorParts(code: ErrorCode): { statusCode: number; headers: Record<string, string>; json: string } {
  const statusCode = ERROR_STATUS[code];
  const requestId = randomUUID();
  const body: ErrorBody = {
    statusCode,
    error: STATUS_CODES[statusCode] ?? 'Error',
    code,
    message: MESSAGES[code] ?? 'The request could not be parsed',
    details: {},
    requestId,
  };
  const json = JSON.stringify(body);
  const headers = {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(json)),
    'X-Request-Id': requestId,
  };
  return { statusCode, headers, json };
}

function errorResponse(code: ErrorCode): string {
  const { statusCode, headers, json } = errorParts(code);
  const lines = Object.entries({ ...headers, Connection: 'close' }).map(([name, value]) => `${name}: ${value}\r\n`);
  return `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? 'Error'}\r\n${lines.join('')}\r\n${json}`;
}
