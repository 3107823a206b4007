import type { LoggerService } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { httpConfig } from '../config/configuration.js';
import { HttpDrainer } from './graceful-shutdown.js';

export interface GracefulShutdown {
  /** The application to drain and close on a signal; attach it before it listens. */
  attach(app: NestExpressApplication): void;
}

/**
 * Graceful shutdown on SIGTERM / SIGINT, for the server (main.ts) and the test child process alike: stop accepting
 * connections, let in-flight requests finish within SHUTDOWN_TIMEOUT_SECONDS, close the application (database
 * pool, storage agent, schedulers), then run `afterClose` (the embedded servers) and exit 0. A signal before an
 * application is attached (still starting) only runs `afterClose`. A second signal is not caught: it stops the
 * process at once, as an operator pressing Ctrl-C twice expects.
 *
 * Nest's own `enableShutdownHooks` is not used: it closes the application — database included — while requests
 * are still being served, then re-raises the signal (exit code 143).
 */
export function installGracefulShutdown(options: {
  logger: LoggerService;
  afterClose?: () => Promise<void>;
}): GracefulShutdown {
  let app: NestExpressApplication | undefined;
  let drainer: HttpDrainer | undefined;
  let timeoutMs = 0;
  let stopping = false;

  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    options.logger.log(`${signal} received, shutting down`, 'Shutdown');
    let exitCode = 0;
    const failed = (error: unknown) => {
      exitCode = 1;
      options.logger.error(`Shutdown step failed: ${String(error)}`, undefined, 'Shutdown');
    };
    if (drainer) await drainer.drain(timeoutMs, options.logger).catch(failed);
    if (app) await app.close().catch(failed);
    if (options.afterClose) await options.afterClose().catch(failed);
    options.logger.log('Stopped', 'Shutdown');
    process.exit(exitCode);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  return {
    attach(target) {
      app = target;
      drainer = new HttpDrainer(target.getHttpServer());
      timeoutMs = target.get<ConfigType<typeof httpConfig>>(httpConfig.KEY).shutdownTimeoutSeconds * 1000;
    },
  };
}
