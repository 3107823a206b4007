/**
 * Every machine-readable error code the API can answer, with its HTTP status. This is the one place where a
 * domain failure becomes a status code; services throw `DomainException`s carrying one of these codes.
 */
export const ERROR_STATUS = {
  // 400
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  NO_FILES: 400,
  BAD_REQUEST: 400,
  UNKNOWN_TAGS: 400,
  UNKNOWN_COLLECTIONS: 400,
  // 401 / 403 / 404
  UNAUTHORIZED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  OBJECT_NOT_FOUND: 404,
  // 409
  EMAIL_TAKEN: 409,
  NOT_PENDING: 409,
  DUPLICATE_CONTENT: 409,
  SLUG_TAKEN: 409,
  TAG_EXISTS: 409,
  IN_USE: 409,
  NOT_IN_TRASH: 409,
  CONFLICT: 409,
  // 413 / 415 / 416 / 422 / 429
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_FILES: 413,
  FILE_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNSUPPORTED_TYPE: 415,
  RANGE_NOT_SATISFIABLE: 416,
  EMPTY_FILE: 422,
  BAD_FILENAME: 422,
  TOO_MANY_REQUESTS: 429,
  // 5xx
  INTERNAL: 500,
  STORAGE_UNAVAILABLE: 503,
  DATABASE_UNAVAILABLE: 503,
  SERVICE_UNAVAILABLE: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;
