import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { ErrorResponse } from './error.response.js';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * The OpenAPI document of `app` (its global prefix already set). The server serves it at `/api/docs-json`,
 * `npm run generate:api` writes it for the typed client and the integration tests check every response against it.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('mediavault')
    .setDescription('Media file manager: content-addressed, deduplicated storage. Contract: API.md (v1).')
    .setVersion('1')
    .addBearerAuth()
    .build();
  const document = SwaggerModule.createDocument(app, config, { extraModels: [ErrorResponse] });
  addCommonErrors(document);
  return document;
}

/**
 * Errors any operation can answer, whatever it does: the JSON body parser runs before routing, so a body that
 * does not parse (400) or is too large (413) is refused on every route, as is a malformed or expired token even on
 * public ones (401); the database or storage can be down (503) or something unexpected fail (500).
 */
function addCommonErrors(document: OpenAPIObject): void {
  const errorBody = { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } };
  for (const pathItem of Object.values(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = pathItem[method];
      if (!operation) continue;
      for (const status of [400, 401, 413, 500, 503]) {
        operation.responses[status] ??= { description: STATUS_CODES[status] ?? 'Error', content: errorBody };
      }
    }
  }
}
