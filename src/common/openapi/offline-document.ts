import { NestFactory } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { API_PREFIX } from '../../app.factory.js';
import { AppModule } from '../../app.module.js';
import { buildOpenApiDocument } from './document.js';

/**
 * The document the server serves, built without a database or storage: Nest's preview mode reads the modules and
 * controllers but instantiates no provider. Used by `npm run generate:api`.
 */
export async function buildOfflineOpenApiDocument(): Promise<OpenAPIObject> {
  const app = await NestFactory.create(AppModule, { preview: true, logger: false, abortOnError: false });
  try {
    app.setGlobalPrefix(API_PREFIX);
    return buildOpenApiDocument(app);
  } finally {
    await app.close();
  }
}
