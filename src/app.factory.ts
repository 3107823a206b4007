import { NotFoundException, type INestApplication, type LoggerService, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module.js';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter.js';
import { requestIdMiddleware, requestIdOf } from './common/request-id.middleware.js';
import { createValidationPipe } from './common/validation.js';

export const API_PREFIX = 'api';
export const JSON_BODY_LIMIT = '1mb';

export interface CreateAppOptions {
  logger?: LoggerService | LogLevel[] | false;
}

/**
 * Builds the HTTP application exactly as production runs it; `main.ts` and the integration tests both use it,
 * so the tests exercise the real pipes, filters, guards and body limits.
 */
export async function createApp(options: CreateAppOptions = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    bodyParser: false,
    logger: options.logger ?? ['log', 'warn', 'error'],
    abortOnError: false,
  });
  configureApp(app);
  return app;
}

export function configureApp(app: NestExpressApplication): void {
  app.disable('x-powered-by');
  app.set('query parser', 'extended');
  app.use(requestIdMiddleware);
  app.use(notFoundOutsidePrefix(new AllExceptionsFilter()));
  app.useBodyParser('json', { limit: JSON_BODY_LIMIT });
  app.setGlobalPrefix(API_PREFIX);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter());
  app.enableShutdownHooks();
  setUpOpenApi(app);
}

/**
 * Nest answers unknown routes only under the global prefix; anywhere else Express would send its own HTML page.
 * Nothing is served outside `/api`, so answer there with the contract's 404 body too.
 */
function notFoundOutsidePrefix(filter: AllExceptionsFilter) {
  return (request: Request, response: Response, next: NextFunction): void => {
    if (request.path === `/${API_PREFIX}` || request.path.startsWith(`/${API_PREFIX}/`)) return next();
    response.status(404).json(filter.toErrorBody(new NotFoundException(), requestIdOf(request)));
  };
}

function setUpOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('mediavault')
    .setDescription('Media file manager: content-addressed, deduplicated storage. Contract: API.md (v1).')
    .setVersion('1')
    .addBearerAuth()
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup(`${API_PREFIX}/docs`, app, document, { jsonDocumentUrl: `${API_PREFIX}/docs-json` });
}
