import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { ERROR_STATUS } from '../errors/error-codes.js';
import { ErrorResponse } from './error.response.js';

/** Codes per status, named in each error response's description so a reader sees what `code` can be. */
function codesFor(status: number): string[] {
  return Object.entries(ERROR_STATUS)
    .filter(([, codeStatus]) => codeStatus === status)
    .map(([code]) => code);
}

/**
 * Documents the error statuses an operation answers on purpose (validation, access, conflicts), each with the
 * contract's error body. What any operation may answer (400, 401, 413, 500, 503) is added to every operation by
 * `buildOpenApiDocument`, so it is not repeated here.
 */
export function ApiErrors(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        type: ErrorResponse,
        description: `${STATUS_CODES[status] ?? 'Error'}; \`code\` is one of ${codesFor(status).join(', ')}`,
      }),
    ),
  );
}
