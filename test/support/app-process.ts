/**
 * A mediavault server in a process of its own, configured entirely by the environment it is given (a test's
 * database and bucket), so tests can kill it for real (SIGKILL) mid-request. Prints `READY <port>` once listening.
 * Run with: node --import ./test/support/register-ts.mjs test/support/app-process.ts
 */
import 'reflect-metadata';
import { createApp } from '../../src/app.factory.js';
import { installGracefulShutdown } from '../../src/http/shutdown.js';

// SIGTERM / SIGINT drain and exit exactly as main.ts does (SIGKILL is what the crash tests use).
const shutdown = installGracefulShutdown({ logger: console });
const app = await createApp({ logger: ['error'] });
shutdown.attach(app);
await app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
const address = app.getHttpServer().address() as { port: number };
process.stdout.write(`READY ${address.port}\n`);
