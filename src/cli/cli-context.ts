import type { INestApplicationContext } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { resolve } from 'node:path';
import { AppModule } from '../app.module.js';
import { InvalidConfigurationError, validateEnvironment } from '../config/environment.js';
import { prepareRuntime, type Runtime } from '../runtime/runtime.js';
import { CliError, ExitCode } from './exit-codes.js';
import { StderrLogger } from './stderr-logger.js';

export interface CliContext {
  app: INestApplicationContext;
  runtime: Runtime;
  close(): Promise<void>;
}

/**
 * Boots the application's own modules without HTTP, with configuration resolved exactly as the server resolves it
 * (environment, `.env`, embedded PostgreSQL / S3 under DATA_DIR when DATABASE_URL / S3_ENDPOINT are unset). When a
 * server already runs those embedded services for DATA_DIR, the CLI uses them (`runtime.json`) instead of its own.
 * Scheduled jobs and the rendition worker are off: a CLI run does what it was asked and nothing else. Migrations
 * run as at server start-up (under their advisory lock, so a server starting at the same time is fine).
 */
export async function openCliContext(options: { verbose?: boolean } = {}): Promise<CliContext> {
  const logger = new StderrLogger(options.verbose);
  Logger.overrideLogger(logger);
  process.env.SCHEDULED_JOBS_ENABLED = 'false';
  process.env.MEDIAVAULT_ROLE = 'api';

  let runtime: Runtime;
  try {
    runtime = await prepareRuntime(process.env, { attach: true });
  } catch (error) {
    throw explainStartFailure(error);
  }
  try {
    const app = await NestFactory.createApplicationContext(AppModule, { logger, abortOnError: false });
    let closed = false;
    return {
      app,
      runtime,
      close: async () => {
        if (closed) return;
        closed = true;
        await app.close().catch((error: unknown) => logger.error(error, 'CLI'));
        await runtime.stop();
      },
    };
  } catch (error) {
    await runtime.stop();
    throw explainStartFailure(error);
  }
}

/**
 * The embedded PostgreSQL belongs to one process per DATA_DIR: when one runs there without having published its
 * services (a server still starting, or an older version), the CLI cannot start a second one. Say so, and what to do.
 */
function explainStartFailure(error: unknown): unknown {
  if (error instanceof InvalidConfigurationError) return new CliError(error.message, ExitCode.Failure);
  const message = error instanceof Error ? error.message : String(error);
  if (/already running/i.test(message)) {
    let dataDir = './.data';
    try {
      dataDir = validateEnvironment(process.env).DATA_DIR;
    } catch {
      // Keep the default for the message.
    }
    return new CliError(
      `A mediavault server is already using the embedded database in ${resolve(dataDir)} (${message}).\n` +
        'The embedded PostgreSQL serves one process per DATA_DIR. If the server is still starting, run the command ' +
        'again once it is up (the CLI then uses its services); otherwise stop it and run the command again, ' +
        'or run both against shared services: set DATABASE_URL and S3_ENDPOINT (with S3_ACCESS_KEY, S3_SECRET_KEY, ' +
        'S3_BUCKET) for the server and the CLI alike.',
      ExitCode.Failure,
    );
  }
  return error;
}
