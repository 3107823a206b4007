export interface WaitOptions {
  /** Fails after this long (default 10 s). */
  timeoutMs?: number;
  /** Looks again this often (default 50 ms). */
  intervalMs?: number;
  /** A probe that throws is asked again (a server not listening yet); by default the error fails the wait at once. */
  retryOnError?: boolean;
}

/**
 * Polls `probe` until it answers something other than undefined or false (and answers that); fails naming `what`
 * once `timeoutMs` has passed.
 */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 10_000, intervalMs = 50, retryOnError = false }: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      last = value;
    } catch (error) {
      if (!retryOnError) throw error;
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${String(last)})`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
