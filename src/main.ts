import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory.js';
import { InvalidConfigurationError } from './config/environment.js';
import { prepareRuntime } from './runtime/runtime.js';

async function main(): Promise<void> {
  const logger = new Logger('Main');
  const runtime = await prepareRuntime();
  let app: Awaited<ReturnType<typeof createApp>> | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received, shutting down`);
    // Close the app first (stop accepting, finish in-flight work), then the embedded servers it talks to.
    await app?.close().catch((error) => logger.error(String(error)));
    await runtime.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  try {
    app = await createApp();
    // Nest's own signal hooks would race ours; we close the app ourselves above.
    await app.listen(runtime.environment.PORT);
  } catch (error) {
    await runtime.stop();
    throw error;
  }
  logger.log(`mediavault listening on http://localhost:${runtime.environment.PORT}/api (docs: /api/docs)`);
}

main().catch((error: unknown) => {
  if (error instanceof InvalidConfigurationError) {
    console.error(error.message);
  } else {
    console.error('mediavault failed to start:', error);
  }
  process.exit(1);
});
