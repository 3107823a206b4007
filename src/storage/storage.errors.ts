import { DomainException } from '../common/errors/domain.exception.js';

/**
 * The object store could not be reached or failed (network error, timeout, 5xx, refused credentials). Callers may
 * retry later; the message never names the bucket or the key (the adapter logs those).
 */
export class StorageUnavailableException extends DomainException {
  constructor(options?: { cause?: unknown }) {
    super('STORAGE_UNAVAILABLE', 'The file storage is unavailable, try again shortly');
    if (options && 'cause' in options) this.cause = options.cause;
  }
}

/** The object a record points to is not in the store: a missing object, not an unavailable store. */
export class ObjectNotFoundException extends DomainException {
  constructor() {
    super('OBJECT_NOT_FOUND', 'The stored content of this file is missing');
  }
}

/** A byte range that starts at or beyond the end of the object. */
export class RangeNotSatisfiableException extends DomainException {
  constructor(size?: number) {
    super('RANGE_NOT_SATISFIABLE', 'The requested range is not satisfiable', size === undefined ? undefined : { size });
  }
}
