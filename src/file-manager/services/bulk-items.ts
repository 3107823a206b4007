import { DomainException } from '../../common/errors/domain.exception.js';
import type { ErrorCode } from '../../common/errors/error-codes.js';

/** Why one item of a bulk request failed: the code, message and details its single request would answer. */
export interface ItemError {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/** A domain failure becomes the item's error; anything else (database down, a bug) fails the whole request. */
export function itemError(error: unknown): ItemError {
  if (!(error instanceof DomainException)) throw error;
  return { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) };
}
