import type { LoggerService, LogLevel } from '@nestjs/common';

/**
 * The CLI's logger: everything goes to stderr, so stdout carries only a command's result (`--json` output
 * stays parseable). Warnings and errors by default; `--verbose` adds the server's informational lines.
 */
export class StderrLogger implements LoggerService {
  constructor(private readonly chatty = false) {}

  log(message: unknown, context?: string): void {
    if (this.chatty) this.write('LOG', message, context);
  }
  warn(message: unknown, context?: string): void {
    this.write('WARN', message, context);
  }
  error(message: unknown, ...rest: unknown[]): void {
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    this.write('ERROR', message, context);
  }
  debug(message: unknown, context?: string): void {
    if (this.chatty) this.write('DEBUG', message, context);
  }
  verbose(message: unknown, context?: string): void {
    if (this.chatty) this.write('VERBOSE', message, context);
  }
  setLogLevels(_levels: LogLevel[]): void {
    // Fixed by --verbose.
  }

  private write(level: string, message: unknown, context?: string): void {
    const text = message instanceof Error ? (message.stack ?? message.message) : String(message);
    process.stderr.write(`[${level}]${context ? ` [${context}]` : ''} ${text}\n`);
  }
}
