import { NotFoundException, type INestApplication, type LoggerService, type LogLevel, type Type } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { SwaggerModule } from '@nestjs/swagger';
import type { DestinationStream, Logger as PinoLogger } from 'pino';
import { buildOpenApiDocument } from './common/openapi/document.js';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter.js';
import { requestIdMiddleware, requestIdOf } from './common/request-id.middleware.js';
import { createValidationPipe, RejectNulCharactersPipe } from './common/validation.js';
import { DomainException } from './common/errors/domain.exception.js';
import { appConfig, httpConfig, renditionsConfig } from './config/configuration.js';
import { storageConfig } from './config/storage.config.js';
import { bodyTimeoutMiddleware } from './http/body-timeout.js';
import { answerClientErrorsWithErrorBodies } from './http/client-errors.js';
import { consoleMiddleware, DEFAULT_CONSOLE_DIRECTORY, isApiPath } from './http/console.js';
import { applyHttpProtection } from './http/http-protection.js';
import { verifyJsonDepth } from './http/json-depth.js';
import { refuseOversizedJson } from './http/json-size.js';
import { AppLogger, createPinoLogger, levelFromNestLevels, type LogLevelName } from './logging/app-logger.js';
import { bindRequestLogger, httpLoggingMiddleware } from './logging/http-logging.js';

export const API_PREFIX = 'api';
export const JSON_BODY_LIMIT = 1024 * 1024;
export const IDLE_SOCKET_TIMEOUT_MS = 120_000;

export interface CreateAppOptions {
  /**
   * Default: JSON lines at LOG_LEVEL (pretty when NODE_ENV=development). Levels (`['error']`) or `false` pick the
   * level; an `AppLogger` is used as it is (main.ts builds one before the runtime starts); any other logger gets
   * Nest's messages while request lines still go to pino.
   */
  logger?: LoggerService | LogLevel[] | false;
  /** Where the JSON lines go (tests read them); stdout by default. */
  logDestination?: DestinationStream;
  /** The built web console served at `/` (default: dist/web); not served when it holds no index.html. */
  consoleDirectory?: string;
}

/**
 * Builds the HTTP application exactly as production runs it; `main.ts` and the integration tests both use it,
 * so the tests exercise the real pipes, filters, guards and body limits.
 */
export async function createApp(options: CreateAppOptions = {}): Promise<NestExpressApplication> {
  const logger = resolveLogger(options);
  const app = await NestFactory.create<NestExpressApplication>(await rootModule(), {
    bodyParser: false,
    logger: logger.nest,
    abortOnError: false,
  });
  configureApp(app, logger.requests, options.consoleDirectory ?? DEFAULT_CONSOLE_DIRECTORY);
  return app;
}

/**
 * A worker-only instance gets the lean `WorkerAppModule`; `api` and `all` the whole `AppModule`. Imported on demand:
 * a static import would load every module's code (the file manager's controllers, services, views) into a worker
 * that never runs it.
 */
async function rootModule(): Promise<Type> {
  if (renditionsConfig().role === 'worker') return (await import('./worker-app.module.js')).WorkerAppModule;
  return (await import('./app.module.js')).AppModule;
}

export function configureApp(app: NestExpressApplication, requestLogger: PinoLogger, consoleDirectory?: string): void {
  app.disable('x-powered-by');
  app.set('query parser', 'extended');
  const server = app.getHttpServer();
  // A multi-GiB upload can legitimately outlast Node's 5-minute whole-request deadline; a *stalled* client is cut by
  // the idle-socket timeout instead, and slow-header clients (slowloris) by the headers timeout.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.setTimeout(IDLE_SOCKET_TIMEOUT_MS);
  answerClientErrorsWithErrorBodies(server);
  const http = app.get<ConfigType<typeof httpConfig>>(httpConfig.KEY);
  // Between requests, this (not the idle-socket timeout) is how long a kept-alive connection may stay idle.
  server.keepAliveTimeout = http.keepAliveSeconds * 1000;
  // One filter: the routes' (below), the body timeout's 408, the worker's 503 and the 404 for paths outside the API
  // prefix write one body.
  const exceptionFilter = new AllExceptionsFilter();
  app.use(requestIdMiddleware);
  app.use(httpLoggingMiddleware(requestLogger));
  app.use(
    bodyTimeoutMiddleware(
      { timeoutMs: http.requestBodyTimeoutSeconds * 1000, minBytes: http.requestBodyMinBytes },
      exceptionFilter,
    ),
  );
  applyHttpProtection(app, http, {
    apiPrefix: API_PREFIX,
    mediaOrigin: new URL(app.get<ConfigType<typeof storageConfig>>(storageConfig.KEY).publicEndpoint).origin,
  });
  const workerOnly = app.get<ConfigType<typeof renditionsConfig>>(renditionsConfig.KEY).role === 'worker';
  if (workerOnly) app.use(apiNotServedByWorkers(exceptionFilter));
  const webConsole = consoleDirectory && !workerOnly ? consoleMiddleware(consoleDirectory, API_PREFIX) : undefined;
  if (webConsole) app.use(webConsole);
  app.use(notFoundOutsidePrefix(exceptionFilter));
  // Nest reserves `verify` only for `rawBody: true` (off here) and passes it through otherwise.
  const jsonOptions = { limit: JSON_BODY_LIMIT, verify: verifyJsonDepth };
  app.use(refuseOversizedJson(JSON_BODY_LIMIT));
  app.useBodyParser('json', jsonOptions);
  app.use(bindRequestLogger);
  app.setGlobalPrefix(API_PREFIX);
  app.useGlobalPipes(new RejectNulCharactersPipe(), createValidationPipe());
  app.useGlobalFilters(exceptionFilter);
  // No enableShutdownHooks(): signals are handled by src/http/shutdown.ts, which drains requests first.
  // A worker serves no API, so it builds no document of it (its /api/docs answers 503 like the rest).
  if (!workerOnly) setUpOpenApi(app);
}

function resolveLogger(options: CreateAppOptions): { nest: LoggerService; requests: PinoLogger } {
  if (options.logger instanceof AppLogger) return { nest: options.logger, requests: options.logger.pino };
  const app = appConfig();
  const level =
    Array.isArray(options.logger) || options.logger === false
      ? levelFromNestLevels(options.logger)
      : (app.logLevel as LogLevelName);
  const requests = createPinoLogger({
    level,
    pretty: app.nodeEnv === 'development',
    destination: options.logDestination,
  });
  const custom = options.logger && !Array.isArray(options.logger) ? options.logger : undefined;
  return { nest: custom ?? new AppLogger(requests), requests };
}

/**
 * Nest answers unknown routes only under the global prefix; anywhere else Express would send its own HTML page.
 * Outside `/api` only the console is served (above), so whatever it does not answer gets the contract's 404 body.
 */
function notFoundOutsidePrefix(filter: AllExceptionsFilter) {
  return (request: Request, response: Response, next: NextFunction): void => {
    if (isApiPath(request.path, API_PREFIX)) return next();
    response.status(404).json(filter.toErrorBody(new NotFoundException(), requestIdOf(request)));
  };
}

/** What a render worker still answers: probes and scrapes (the orchestrator's and Prometheus' view of it). */
const WORKER_PATHS = [`/${API_PREFIX}/health`, `/${API_PREFIX}/metrics`];

/**
 * `MEDIAVAULT_ROLE=worker` instances render and serve no API: every path but health and metrics answers 503
 * SERVICE_UNAVAILABLE (a misrouted request is the deployment's error, to be sent elsewhere, not a missing resource).
 */
function apiNotServedByWorkers(filter: AllExceptionsFilter) {
  return (request: Request, response: Response, next: NextFunction): void => {
    if (WORKER_PATHS.some((path) => request.path === path || request.path.startsWith(`${path}/`))) return next();
    const refusal = new DomainException(
      'SERVICE_UNAVAILABLE',
      'This instance only renders (MEDIAVAULT_ROLE=worker): send API requests to an api or all instance',
      { role: 'worker' },
    );
    response.status(503).json(filter.toErrorBody(refusal, requestIdOf(request)));
  };
}

function setUpOpenApi(app: INestApplication): void {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup(`${API_PREFIX}/docs`, app, document, { jsonDocumentUrl: `${API_PREFIX}/docs-json` });
}
