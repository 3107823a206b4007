/**
 * Why a content could not be rendered, in words an admin can act on. The worker records `reason` on the job
 * (after its retries) instead of crashing or retrying forever; nothing here is shown to end users verbatim.
 */
export class RenditionFailure extends Error {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
    this.name = 'RenditionFailure';
  }
}

/** The underlying library's message, trimmed to something that fits a job row. */
export function describeCause(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s+/g, ' ').trim().slice(0, 300);
}
