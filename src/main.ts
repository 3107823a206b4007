import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { createApp } from './app.factory.js';
import { InvalidConfigurationError, validateEnvironment } from './config/environment.js';
import { installGracefulShutdown } from './http/shutdown.js';
import { AppLogger, createPinoLogger, type LogLevelName } from './logging/app-logger.js';
import { prepareRuntime } from './runtime/runtime.js';

async function main(): Promise<void> {
  // The logger comes first so that start-up lines are JSON too; `.env` is read for it here (prepareRuntime reads
  // it again, harmlessly: variables already set are never overwritten).
  if (existsSync('.env')) process.loadEnvFile('.env');
  const environment = validateEnvironment(process.env);
  const appLogger = new AppLogger(
    createPinoLogger({ level: environment.LOG_LEVEL as LogLevelName, pretty: environment.NODE_ENV === 'development' }),
  );
  Logger.overrideLogger(appLogger);
  const logger = new Logger('Main');

  const runtime = await prepareRuntime();
  // Drains in-flight requests, closes the app, then stops the embedded servers it talks to.
  const shutdown = installGracefulShutdown({ logger: appLogger, afterClose: () => runtime.stop() });
  try {
    const app = await createApp({ logger: appLogger });
    shutdown.attach(app);
    await app.listen(runtime.environment.PORT);
  } catch (error) {
    await runtime.stop();
    throw error;
  }
  const url = `http://localhost:${runtime.environment.PORT}/api`;
  // A worker serves only /api/health and /api/metrics (no API, no docs).
  const serves =
    runtime.environment.MEDIAVAULT_ROLE === 'worker' ? 'worker: health and metrics only' : 'docs: /api/docs';
  logger.log(`mediavault listening on ${url} (${serves})`);
}

main().catch((error: unknown) => {
  if (error instanceof InvalidConfigurationError) {
    console.error(error.message);
  } else {
    console.error('mediavault failed to start:', error);
  }
  process.exit(1);
});
