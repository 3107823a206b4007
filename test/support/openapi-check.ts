/**
 * Every response an integration spec receives through `checkedRequest` (the `http` agent of every test app) is
 * checked against the OpenAPI document: the status must be one the operation declares, and a JSON body must match
 * the declared schema. A mismatch fails the request's promise, so the spec fails: the document stays true.
 *
 * Stricter than the document on one point: objects may carry no property the document does not name (the
 * contract allows clients to ignore extra fields, but a field the document hides is one the typed client hides).
 * Binary and redirect responses are checked for status and content type only.
 */
import type { Server } from 'node:http';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { OpenAPIObject } from '@nestjs/swagger';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import type { Response } from 'supertest';

type Schema = Record<string, unknown>;
interface ResponseSpec {
  content?: Record<string, { schema?: Schema }>;
}
interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  parameterCount: number;
  responses: Record<string, ResponseSpec>;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;
const DOCUMENT_ID = 'openapi';
const ERROR_SCHEMA_REF = '#/components/schemas/ErrorResponse';
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export class OpenApiChecker {
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly operations: Operation[] = [];
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(document: OpenAPIObject) {
    addFormats(this.ajv);
    this.ajv.addFormat('binary', true);
    const schemas = mapValues(document.components?.schemas ?? {}, toJsonSchema);
    this.ajv.addSchema({ $id: DOCUMENT_ID, components: { schemas } });
    for (const [template, item] of Object.entries(document.paths)) {
      for (const method of HTTP_METHODS) {
        const operation = item[method];
        if (!operation) continue;
        const names: string[] = [];
        const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_, name: string) => {
          names.push(name);
          return '([^/]+)';
        });
        this.operations.push({
          method: method.toUpperCase(),
          template,
          pattern: new RegExp(`^${source}$`),
          parameterCount: names.length,
          responses: operation.responses as Record<string, ResponseSpec>,
        });
      }
    }
    // Literal segments win over parameters: `/api/files/by-slug/x` is not `/api/files/{id}/...`.
    this.operations.sort((a, b) => a.parameterCount - b.parameterCount);
  }

  /** What is wrong with `response` for `method path`, or undefined when it is what the document says. */
  problemWith(method: string, path: string, response: Response): string | undefined {
    const pathname = path.split('?')[0].split('#')[0];
    // The document describes the API; Swagger UI and anything served outside /api are not part of it.
    if (!pathname.startsWith('/api/') || pathname === '/api/docs' || pathname.startsWith('/api/docs')) return undefined;
    const operation = this.find(method, pathname);
    const label = `${method} ${pathname} answered ${response.status}`;
    if (!operation && method === 'OPTIONS' && this.operations.some((candidate) => candidate.pattern.test(pathname))) {
      // A CORS preflight, answered by the CORS middleware for every documented path: not an operation of its own.
      return response.status === 204 && !response.text ? undefined : `${label}: not a CORS preflight answer`;
    }
    if (!operation) {
      // An unknown route (or method) is answered 404 with the error body by the filter.
      if (response.status !== 404) return `${label}, but the document has no such operation`;
      return this.bodyProblem(
        label,
        'unknown-route',
        { $ref: `${DOCUMENT_ID}#/components/schemas/ErrorResponse` },
        response,
      );
    }
    const declared = operation.responses[String(response.status)] ?? operation.responses.default;
    if (!declared) {
      const known = Object.keys(operation.responses).join(', ');
      return `${label}, a status ${operation.method} ${operation.template} does not declare (it declares ${known})`;
    }
    if (method === 'HEAD' || response.status === 204 || response.status === 304) return undefined;
    if (response.status >= 300 && response.status < 400) return undefined;
    const contentType = String(response.headers['content-type'] ?? '')
      .split(';')[0]
      .trim()
      .toLowerCase();
    const content = declared.content ?? {};
    const mediaTypes = Object.keys(content);
    if (mediaTypes.length === 0) {
      if (response.text) return `${label} with a ${contentType} body where the document declares none`;
      return undefined;
    }
    const mediaType = mediaTypes.find((declaredType) => matchesMediaType(declaredType, contentType));
    if (!mediaType) return `${label} as ${contentType || 'no content type'}, declared: ${mediaTypes.join(', ')}`;
    const schema = content[mediaType].schema;
    if (mediaType !== 'application/json' || !schema) return undefined;
    const key = `${operation.method} ${operation.template} ${response.status}`;
    const problem = this.bodyProblem(label, key, toJsonSchema(schema), response);
    if (problem || schema.$ref !== ERROR_SCHEMA_REF) return problem;
    // The error body repeats the status: a 404 saying `statusCode: 400` would mislead every client.
    const { statusCode } = response.body as { statusCode: number };
    return statusCode === response.status ? undefined : `${label} with an error body saying statusCode ${statusCode}`;
  }

  private find(method: string, pathname: string): Operation | undefined {
    const byMethod = (wanted: string) =>
      this.operations.find((operation) => operation.method === wanted && operation.pattern.test(pathname));
    // Express answers HEAD with the GET route.
    return byMethod(method) ?? (method === 'HEAD' ? byMethod('GET') : undefined);
  }

  private bodyProblem(label: string, key: string, schema: Schema, response: Response): string | undefined {
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.validators.set(key, validate);
    }
    if (validate(response.body)) return undefined;
    const errors = (validate.errors ?? [])
      .slice(0, 8)
      .map((error) => `${error.instancePath || '(body)'} ${error.message ?? ''} ${JSON.stringify(error.params)}`)
      .join('\n  ');
    const body = JSON.stringify(response.body).slice(0, 2000);
    return `${label}, body does not match the document:\n  ${errors}\nbody: ${body}`;
  }
}

function matchesMediaType(declared: string, actual: string): boolean {
  if (declared === '*/*') return actual !== '';
  if (declared.endsWith('/*')) return actual.startsWith(declared.slice(0, -1));
  return declared === actual;
}

/**
 * OpenAPI 3.0 schemas as JSON Schema for Ajv: `nullable` becomes a `null` alternative, references point into the
 * document registered under DOCUMENT_ID, and objects with named properties refuse others unless they say otherwise.
 */
function toJsonSchema<T>(node: T): T {
  if (Array.isArray(node)) return node.map((item) => toJsonSchema(item)) as T;
  if (node === null || typeof node !== 'object') return node;
  const schema: Schema = {};
  for (const [key, value] of Object.entries(node as Schema)) {
    schema[key] = key === 'properties' ? mapValues(value as Schema, toJsonSchema) : toJsonSchema(value);
  }
  if (typeof schema.$ref === 'string' && schema.$ref.startsWith('#/')) schema.$ref = `${DOCUMENT_ID}${schema.$ref}`;
  if (schema.properties && schema.additionalProperties === undefined) schema.additionalProperties = false;
  if (schema.nullable === true) {
    delete schema.nullable;
    return { anyOf: [{ type: 'null' }, schema] } as T;
  }
  return schema as T;
}

function mapValues(object: Schema, map: (value: unknown) => unknown): Schema {
  return Object.fromEntries(Object.entries(object).map(([key, value]) => [key, map(value)]));
}

let shared: OpenApiChecker | undefined;

/** One checker per test file: the document is the same for every app a spec starts. */
function checkerFor(document: () => OpenAPIObject): OpenApiChecker {
  return (shared ??= new OpenApiChecker(document()));
}

const AGENT_METHODS = ['get', 'post', 'put', 'patch', 'delete', 'del', 'head', 'options'] as const;

/**
 * `supertest(target)` whose every response is checked against the document: the one `document` builds the first
 * time this test file needs it, or the given checker's. Assertions the spec chains (`.expect(...)`) run first.
 */
export function checkedRequest(target: Server | string, document: (() => OpenAPIObject) | OpenApiChecker): TestAgent {
  const checker = document instanceof OpenApiChecker ? () => document : () => checkerFor(document);
  const agent = request(target);
  return new Proxy(agent, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver) as unknown;
      if (typeof value !== 'function' || !(AGENT_METHODS as readonly PropertyKey[]).includes(property)) return value;
      return (...args: unknown[]) =>
        checkResponseOf((value as (...a: unknown[]) => request.Test).apply(object, args), checker);
    },
  });
}

function checkResponseOf(test: request.Test, checker: () => OpenApiChecker): request.Test {
  const end = test.end.bind(test);
  test.end = (callback?: (error: unknown, response: Response) => void) =>
    end((error: unknown, response: Response) => {
      let failure = error;
      if (!failure && response) {
        const method = (test as unknown as { method: string }).method.toUpperCase();
        // The path as sent: `new URL` would resolve `..` segments the server never resolves.
        const path = (test as unknown as { url: string }).url.replace(/^[a-z]+:\/\/[^/]+/i, '');
        const problem = checker().problemWith(method, path, response);
        if (problem) failure = new Error(`OpenAPI contract: ${problem}`);
      }
      callback?.(failure, response);
    });
  return test;
}
