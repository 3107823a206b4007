import type { ErrorCode } from './error-codes.js';

/**
 * Base class of every failure a service reports on purpose. Services never throw HTTP exceptions; the global
 * exception filter turns the `code` into a status and the contract's error body.
 */
export class DomainException extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundException extends DomainException {
  constructor(what: string, details?: Record<string, unknown>) {
    super('NOT_FOUND', `${what} not found`, details);
  }
}

export class ForbiddenException extends DomainException {
  constructor(message = 'You are not allowed to do this') {
    super('FORBIDDEN', message);
  }
}

export class ValidationFailedException extends DomainException {
  constructor(fields: Array<{ field: string; errors: string[] }>, message = 'The request is not valid') {
    super('VALIDATION_FAILED', message, { fields });
  }
}
