import type { LoggerService, LogLevel } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Level, type Logger } from 'pino';

export type LogLevelName = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'verbose';

export interface AppLoggerOptions {
  level: LogLevelName | 'silent';
  /** Human-readable lines (pino-pretty) instead of JSON: for people reading a terminal in development. */
  pretty?: boolean;
  /** Where the lines go; stdout by default (tests pass a stream to read them). */
  destination?: DestinationStream;
}

/**
 * Never logged, whatever a log call passes: credentials and tokens. Request and response serializers already leave
 * headers and bodies out (see http-logging.ts); this is the second line of defence for objects logged by hand.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'authorization',
  'password',
  '*.password',
  'accessToken',
  '*.accessToken',
  'token',
  '*.token',
];

const PINO_LEVEL: Record<LogLevelName | 'silent', Level | 'silent'> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  info: 'info',
  debug: 'debug',
  verbose: 'trace',
  silent: 'silent',
};

/** The logger of the current request (with its request id), for log calls made while serving it. */
const requestLoggers = new AsyncLocalStorage<Logger>();

export function runWithRequestLogger<T>(logger: Logger, fn: () => T): T {
  return requestLoggers.run(logger, fn);
}

export function createPinoLogger(options: AppLoggerOptions): Logger {
  const config = {
    level: PINO_LEVEL[options.level],
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (options.destination) return pino(config, options.destination);
  if (options.pretty) {
    // Loaded only when asked for, in the main thread (no transport worker: the last lines before exit are kept).
    const pretty = createRequire(import.meta.url)('pino-pretty') as (options: object) => DestinationStream;
    return pino(config, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
  }
  return pino(config);
}

/**
 * Nest's `LoggerService` over pino: Nest's own messages and every `new Logger(context)` of the code base become
 * JSON lines with a `context` field, and carry the request id when written while a request is being served.
 */
export class AppLogger implements LoggerService {
  constructor(readonly pino: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params, true);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params, true);
  }

  /**
   * Nest calls `error(message, stack?, context?)` and the other levels `(message, context?)`, where a contextual
   * `Logger` always appends its context (after an `undefined` stack for errors).
   */
  private write(level: Level, message: unknown, params: unknown[], mayHaveStack = false): void {
    const logger = requestLoggers.getStore() ?? this.pino;
    if (!logger.isLevelEnabled(level)) return;
    const rest = [...params];
    let context: string | undefined;
    if (
      rest.length > 0 &&
      typeof rest[rest.length - 1] === 'string' &&
      !(mayHaveStack && rest.length === 1 && looksLikeStack(rest[0]))
    ) {
      context = rest.pop() as string;
    }
    const stack = mayHaveStack && typeof rest[0] === 'string' ? (rest.shift() as string) : undefined;
    const fields: Record<string, unknown> = {};
    if (context) fields.context = context;
    if (stack) fields.stack = stack;
    if (message instanceof Error) {
      logger[level]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      logger[level]({ ...fields, ...(message as Record<string, unknown>) });
    } else {
      logger[level](fields, String(message));
    }
  }
}

function looksLikeStack(value: unknown): boolean {
  return typeof value === 'string' && /\n\s+at /.test(value);
}

/** Maps Nest's `logger: ['error', 'warn']` style option to the most verbose pino level it enables. */
export function levelFromNestLevels(levels: LogLevel[] | false): LogLevelName | 'silent' {
  if (levels === false || levels.length === 0) return 'silent';
  const order: Array<[LogLevel, LogLevelName]> = [
    ['verbose', 'verbose'],
    ['debug', 'debug'],
    ['log', 'info'],
    ['warn', 'warn'],
    ['error', 'error'],
    ['fatal', 'fatal'],
  ];
  return order.find(([nest]) => levels.includes(nest))?.[1] ?? 'error';
}
