/**
 * PostgreSQL and driver failures that mean "the database is not reachable right now" (connection refused or
 * dropped, server shutting down), as opposed to a bug in a query. They are answered 503 so clients retry.
 */
const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

export function isDatabaseUnavailableError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { code?: unknown; message?: unknown; driverError?: unknown };
  if (candidate.driverError && isDatabaseUnavailableError(candidate.driverError)) return true;
  const code = typeof candidate.code === 'string' ? candidate.code : '';
  // SQLSTATE class 08 = connection exception; 57P01..57P03 = admin shutdown, crash shutdown, cannot connect now.
  if (code.startsWith('08') || ['57P01', '57P02', '57P03'].includes(code) || CONNECTION_ERROR_CODES.has(code))
    return true;
  const message = typeof candidate.message === 'string' ? candidate.message : '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    message,
  );
}

/** SQLSTATE 23505: a unique constraint refused a row. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const driverError = (error as { driverError?: { code?: string; constraint?: string } })?.driverError ?? error;
  const { code, constraint: violated } = (driverError ?? {}) as { code?: string; constraint?: string };
  return code === '23505' && (constraint === undefined || violated === constraint);
}

/** SQLSTATE 40P01 (deadlock detected) or 40001 (serialization failure): the transaction may simply be run again. */
export function isTransientConflict(error: unknown): boolean {
  const driverError = (error as { driverError?: { code?: string } })?.driverError ?? error;
  const code = (driverError as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}
