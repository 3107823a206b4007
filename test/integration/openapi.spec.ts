/**
 * Issue 10 §1: the OpenAPI document is the typed contract. It validates as OpenAPI 3, names every operation,
 * describes every success and error response, matches what the server serves, and the generated client files
 * in web/src/api are current. The response check every integration spec runs (test/support/openapi-check.ts)
 * is proven here to fail on a response the document does not describe.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { Response } from 'supertest';
import { buildOfflineOpenApiDocument } from '../../src/common/openapi/offline-document.js';
import { buildOpenApiDocument } from '../../src/common/openapi/document.js';
import { API_DIR, generateApiFiles } from '../../scripts/generate-api.js';
import { useTestApp } from '../support/app.js';
import { checkedRequest, OpenApiChecker } from '../support/openapi-check.js';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;
const ERROR_REF = '#/components/schemas/ErrorResponse';
const HEALTH_REF = '#/components/schemas/HealthResponse';

type OperationObject = NonNullable<OpenAPIObject['paths'][string]['get']>;
type ResponseObject = { content?: Record<string, { schema?: Record<string, unknown> }>; description?: string };

function operationsOf(document: OpenAPIObject): Array<{ label: string; operation: OperationObject }> {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.flatMap((method) =>
      item[method] ? [{ label: `${method.toUpperCase()} ${path}`, operation: item[method] }] : [],
    ),
  );
}

function refsIn(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(refsIn);
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) => (key === '$ref' ? [value as string] : refsIn(value)));
}

describe('the OpenAPI document', () => {
  const t = useTestApp();
  let document: OpenAPIObject;

  beforeAll(async () => {
    document = (await t.http.get('/api/docs-json').expect(200)).body as OpenAPIObject;
  });

  it('validates as OpenAPI 3 and every $ref resolves', async () => {
    const validator = new Validator();
    const result = await validator.validate(
      structuredClone(document) as unknown as Parameters<Validator['validate']>[0],
    );
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toMatch(/^3\./);
    const schemas = document.components?.schemas ?? {};
    const dangling = refsIn(document).filter((ref) => !(ref.replace('#/components/schemas/', '') in schemas));
    expect(dangling).toEqual([]);
  });

  it('names every operation once, in camelCase verb + noun', () => {
    const ids = operationsOf(document).map(({ label, operation }) => operation.operationId ?? `(none: ${label})`);
    for (const id of ids) expect(id).toMatch(/^[a-z]+(?:[A-Z][a-z0-9]*)+$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['listFiles', 'getFile', 'approvePendingFile', 'uploadFiles', 'logIn']));
  });

  it('describes each success response and answers errors with the error body', () => {
    const problems: string[] = [];
    for (const { label, operation } of operationsOf(document)) {
      const responses = Object.entries(operation.responses) as Array<[string, ResponseObject]>;
      const successes = responses.filter(([status]) => /^[23]\d\d$/.test(status));
      if (successes.length === 0) problems.push(`${label}: no success response`);
      for (const [status, response] of successes) {
        const bodiless = ['204', '302', '304'].includes(status);
        const content = Object.entries(response.content ?? {});
        if (!bodiless && content.length === 0) problems.push(`${label} ${status}: no content`);
        for (const [mediaType, { schema }] of content) {
          if (!schema) problems.push(`${label} ${status} ${mediaType}: no schema`);
          else if (mediaType === 'application/json' && !schema.$ref && !schema.properties && !schema.allOf) {
            problems.push(`${label} ${status}: an untyped JSON body`);
          }
        }
      }
      for (const [status, response] of responses.filter(([code]) => /^[45]\d\d$/.test(code))) {
        // The one exception: a failing health check answers 503 with the report naming the dependency.
        const expected = operation.operationId === 'getHealth' && status === '503' ? HEALTH_REF : ERROR_REF;
        if (response.content?.['application/json']?.schema?.$ref !== expected)
          problems.push(`${label} ${status}: not ${expected}`);
      }
      for (const status of ['401', '500', '503'])
        if (!operation.responses[status]) problems.push(`${label}: no ${status}`);
    }
    expect(problems).toEqual([]);
    const errorBody = document.components?.schemas?.ErrorResponse as { required?: string[] };
    expect(errorBody.required).toEqual(expect.arrayContaining(['statusCode', 'error', 'code', 'message', 'details']));
  });

  it('is the document built without a database, which the typed client is generated from', async () => {
    expect(JSON.parse(JSON.stringify(await buildOfflineOpenApiDocument()))).toEqual(document);
    expect(JSON.parse(JSON.stringify(buildOpenApiDocument(t.app)))).toEqual(document);
  });

  it('matches the committed generated client files (run npm run generate:api when this fails)', async () => {
    const files = await generateApiFiles();
    expect(Object.keys(files).sort()).toEqual(['openapi.json', 'schema.d.ts']);
    for (const [name, content] of Object.entries(files)) {
      const committed = await readFile(fileURLToPath(new URL(name, API_DIR)), 'utf8');
      expect({ name, upToDate: committed === content }).toEqual({ name, upToDate: true });
    }
  });

  describe('the response check of the integration suite', () => {
    const fileId = '0b4c3ae2-5d0f-4c37-9d0e-2b0a4a0c9f11';
    const fake = (status: number, body: unknown, contentType = 'application/json; charset=utf-8') =>
      ({ status, body, text: JSON.stringify(body), headers: { 'content-type': contentType } }) as unknown as Response;
    const errorBody = {
      statusCode: 404,
      error: 'Not Found',
      code: 'NOT_FOUND',
      message: 'Media file not found',
      details: {},
    };
    let checker: OpenApiChecker;
    beforeAll(() => (checker = new OpenApiChecker(document)));

    it('accepts what the document declares', () => {
      expect(checker.problemWith('GET', `/api/files/${fileId}`, fake(404, errorBody))).toBeUndefined();
      expect(
        checker.problemWith('GET', '/api/nothing-here', fake(404, { ...errorBody, code: 'ROUTE_NOT_FOUND' })),
      ).toBeUndefined();
      expect(checker.problemWith('GET', `/api/files/${fileId}/content`, fake(206, {}, 'image/png'))).toBeUndefined();
    });

    it('refuses a status the operation does not declare', () => {
      expect(checker.problemWith('GET', `/api/files/${fileId}`, fake(418, errorBody))).toMatch(/does not declare/);
      expect(checker.problemWith('GET', '/api/nothing-here', fake(200, {}))).toMatch(/no such operation/);
    });

    it('refuses a body with a missing, mistyped or undocumented field', () => {
      const { message: _message, ...missing } = errorBody;
      expect(checker.problemWith('GET', `/api/files/${fileId}`, fake(404, missing))).toMatch(/message/);
      expect(
        checker.problemWith('GET', `/api/files/${fileId}`, fake(404, { ...errorBody, statusCode: '404' })),
      ).toMatch(/statusCode/);
      expect(checker.problemWith('GET', `/api/files/${fileId}`, fake(404, { ...errorBody, stack: 'x' }))).toMatch(
        /additional/,
      );
      expect(checker.problemWith('GET', `/api/files/${fileId}`, fake(404, errorBody, 'text/html'))).toMatch(
        /text\/html/,
      );
      expect(checker.problemWith('GET', `/api/files/${fileId}`, fake(404, { ...errorBody, statusCode: 400 }))).toMatch(
        /statusCode 400/,
      );
    });

    it('fails the request of a spec whose response the document does not describe', async () => {
      const stricter = structuredClone(document);
      const health = stricter.components!.schemas!.HealthResponse as { required: string[]; properties: object };
      health.required.push('uptime');
      const http = checkedRequest(t.app.getHttpServer(), new OpenApiChecker(stricter));
      await expect(http.get('/api/health').expect(200)).rejects.toThrow(
        /OpenAPI contract: GET \/api\/health answered 200/,
      );
      // The spec's own assertions come first.
      await expect(http.get('/api/health').expect(201)).rejects.toThrow(/expected 201/);
    });
  });
});
