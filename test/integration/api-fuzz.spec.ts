/**
 * Bad input, property-based (fast-check): every endpoint of the OpenAPI document the server generates
 * (GET /api/docs-json, so an endpoint added later is fuzzed without touching this file) is called with generated
 * invalid bodies (wrong types, missing fields, huge strings, nested junk, arrays instead of objects,
 * prototype-pollution keys), invalid path parameters (not UUIDs, unicode, very long) and invalid query parameters
 * (negative or huge pages, page sizes 0 and 1000, repeated and nested parameters, unknown fields), as an admin, as
 * a member and anonymously. Never a 5xx; every 4xx carries the contract's error shape; no body leaks a stack
 * trace, SQL, the bucket or a storage key. FUZZ_RUNS (default 30) sets the runs per endpoint, FUZZ_SEED replays.
 * Besides the random runs, every endpoint gets JSON nested 10,000 deep, and every numeric query or body field
 * numbers beyond any column's range (both once 500s).
 */
import fc from 'fast-check';
import { ADMIN_EMAIL, ADMIN_PASSWORD, MEMBER_PASSWORD, useTestApp } from '../support/app.js';
import { content, createMediaFile, trash, upload } from '../support/files.js';

interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  pathParams: string[];
  queryParams: string[];
  /** Query parameters documented as integer or number. */
  numericQueryParams: string[];
  bodyFields: string[];
  numericBodyFields: string[];
  /** Each documented body field with a plausible value of its type, to build bodies with one field wrong. */
  plausible: Record<string, unknown>;
  hasBody: boolean;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, { properties?: Record<string, SchemaProperty> }> };
}
interface SchemaProperty {
  type?: string;
  enum?: unknown[];
  format?: string;
}
interface OpenApiOperation {
  parameters?: Array<{ name: string; in: string; schema?: SchemaProperty }>;
  requestBody?: {
    content?: Record<string, { schema?: { $ref?: string; properties?: Record<string, SchemaProperty> } }>;
  };
}

const RUNS = Number(process.env.FUZZ_RUNS ?? 30);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const UPPER_SNAKE = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/;
/** Things no error body may contain: stack frames, SQL, driver errors, storage keys, internal paths. */
const LEAKS =
  /\bat \S+ \(|\.ts:\d+|\.js:\d+|node_modules|QueryFailedError|TypeError|ReferenceError|SELECT\s|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|\bsyntax error at\b|violates .* constraint|objects\/[0-9a-f]{8}/i;

function operationsOf(document: OpenApiDocument): Operation[] {
  const schemas = document.components?.schemas ?? {};
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const parameters = operation.parameters ?? [];
      const json = operation.requestBody?.content?.['application/json']?.schema;
      const ref = json?.$ref?.split('/').pop();
      const properties = (ref ? schemas[ref]?.properties : json?.properties) ?? {};
      operations.push({
        method,
        path,
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: parameters.filter((p) => p.in === 'query').map((p) => p.name),
        numericQueryParams: parameters.filter((p) => p.in === 'query' && isNumeric(p.schema)).map((p) => p.name),
        bodyFields: Object.keys(properties),
        numericBodyFields: Object.entries(properties)
          .filter(([, property]) => isNumeric(property))
          .map(([name]) => name),
        plausible: Object.fromEntries(
          Object.entries(properties).map(([name, property]) => [name, plausibleValue(name, property)]),
        ),
        hasBody: Boolean(operation.requestBody),
      });
    }
  }
  return operations;
}

function isNumeric(property: SchemaProperty | undefined): boolean {
  return property?.type === 'integer' || property?.type === 'number';
}

/** Beyond int8, a double's exact integers, or any number at all: no numeric field accepts them (each was a 500). */
const BEYOND_EVERY_RANGE = [
  '99999999999999999999999',
  '9223372036854775807',
  '9223372036854775808',
  '-9223372036854775809',
  '9007199254740993',
  '1e400',
];
/** For the random runs: int4's edges too (fine for a bigint field, not for an integer one). */
const OUT_OF_RANGE_NUMBERS = [...BEYOND_EVERY_RANGE, '2147483648', '-2147483649'];
const DEEP_JSON = `{"title":"deep","deep":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;

function plausibleValue(name: string, property: SchemaProperty): unknown {
  if (property.enum?.length) return property.enum[0];
  if (property.format === 'uuid') return '3f1c2b1e-8d7a-4c52-9a41-0f6a2b9c7d10';
  if (property.format === 'email' || name === 'email') return 'someone@example.com';
  switch (property.type) {
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'object':
      return {};
    default:
      return name === 'password' ? 'long-enough-password' : 'plausible';
  }
}

// --- generators -----------------------------------------------------------------------------------------------------

const huge = fc.constantFrom('x'.repeat(100_000), 'é'.repeat(20_000), '\u0000'.repeat(1000), '𝕏'.repeat(5000));
/** A value of the wrong kind for whatever the field expects. */
const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 0, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 5 }),
  fc.object({ maxDepth: 3 }),
  huge,
  fc.constantFrom('', ' ', 'null', 'undefined', '../../etc/passwd', "' OR 1=1 --", '<script>', 'public', 'admin'),
  fc.uuid().map((uuid) => [uuid]),
  fc.array(fc.uuid(), { minLength: 1000, maxLength: 1500 }),
);

/** Raw JSON text (so that `__proto__` is a key on the wire, not a prototype here). */
function bodyArbitrary(fields: string[], plausible: Record<string, unknown> = {}): fc.Arbitrary<string> {
  const knownKeys = fields.length ? fc.constantFrom(...fields) : fc.constant('title');
  const key = fc.oneof(
    knownKeys,
    knownKeys,
    fc.string({ maxLength: 12 }),
    fc.constantFrom('__proto__', 'constructor', 'prototype'),
  );
  const objectBody = fc.dictionary(key, junk, { maxKeys: 6 }).map((entries) => JSON.stringify(entries));
  const pollution = fc
    .tuple(fc.constantFrom('__proto__', 'constructor'), knownKeys, junk)
    .map(([polluter, field, value]) =>
      polluter === '__proto__'
        ? `{"__proto__":{"role":"admin","isAdmin":true,${JSON.stringify(field)}:${JSON.stringify(value) ?? 'null'}}}`
        : `{"constructor":{"prototype":{"role":"admin"}},${JSON.stringify(field)}:${JSON.stringify(value) ?? 'null'}}`,
    );
  // Every documented field plausible but one wrong, or one missing: gets past the easy refusals.
  const almostValid = fields.length
    ? fc.tuple(fc.constantFrom(...fields), fc.option(junk, { freq: 3 })).map(([field, value]) => {
        const body: Record<string, unknown> = { ...plausible };
        if (value === null) delete body[field];
        else body[field] = value;
        return JSON.stringify(body);
      })
    : objectBody;
  return fc.oneof(
    objectBody,
    almostValid,
    almostValid,
    pollution,
    fc.constant('{}'),
    fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
    fc.array(fc.dictionary(knownKeys, junk, { maxKeys: 3 }), { maxLength: 3 }).map((array) => JSON.stringify(array)),
    // Not JSON at all, or cut short.
    fc.constantFrom('{', '{"title":', '[1,2', 'nul', '{"a":1}{"b":2}', '\u0000', ''),
    fc.constant(JSON.stringify({ deep: JSON.parse('['.repeat(400) + ']'.repeat(400)) })),
    fc.constant(DEEP_JSON),
    // Numbers as they are on the wire: JSON.stringify could not write these.
    fc
      .tuple(knownKeys, fc.constantFrom(...OUT_OF_RANGE_NUMBERS))
      .map(([field, number]) => `{${JSON.stringify(field)}:${number}}`),
  );
}

function pathParamArbitrary(realIds: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...realIds), weight: 4 },
    fc.string({ minLength: 1, maxLength: 40 }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
    fc.uuid(),
    fc.constantFrom(...realIds),
    fc.integer().map(String),
    fc.constantFrom(
      'a'.repeat(5000),
      '0'.repeat(64),
      'null',
      '..',
      '%',
      '%00',
      '00000000-0000-0000-0000-00000000000g',
      '💥',
      'ä',
    ),
  );
}

function queryArbitrary(names: string[]): fc.Arbitrary<string> {
  const known = fc.constantFrom(...names, 'page', 'pageSize', 'ordering', 'q', 'status', 'olderThanDays', 'inline');
  const value = fc.oneof(
    fc.constantFrom(
      '-1',
      '0',
      '1000',
      '99999999999999999999',
      '1e3',
      '1.5',
      'NaN',
      '',
      'true',
      '-createdAt',
      'password',
    ),
    fc.constantFrom(...OUT_OF_RANGE_NUMBERS),
    fc.string({ maxLength: 30 }),
    fc.string({ unit: 'grapheme', maxLength: 10 }),
    fc.integer().map(String),
  );
  const pair = fc.oneof(
    fc.tuple(known, value).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`),
    // The same parameter twice (an array), nested brackets, an unknown parameter.
    fc.tuple(known, value, value).map(([k, a, b]) => `${k}=${encodeURIComponent(a)}&${k}=${encodeURIComponent(b)}`),
    fc.tuple(known, value).map(([k, v]) => `${k}[$gt]=${encodeURIComponent(v)}&${k}[]=1`),
    fc
      .tuple(fc.string({ minLength: 1, maxLength: 10 }), value)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`),
  );
  return fc.oneof(
    fc.constant(''),
    fc.array(pair, { minLength: 1, maxLength: 5 }).map((pairs) => pairs.join('&')),
  );
}

// --- the spec -------------------------------------------------------------------------------------------------------

describe('every endpoint fuzzed with invalid input', () => {
  let operations: Operation[] = [];
  const auths: Record<'admin' | 'member' | 'anonymous', string | undefined> = {
    admin: undefined,
    member: undefined,
    anonymous: undefined,
  };
  const realIds: string[] = [];
  let memberEmail = '';
  const statuses = new Map<string, Map<number, number>>();

  const t = useTestApp();

  beforeAll(async () => {
    auths.admin = await t.adminAuth();
    const member = await t.createUser('member');
    auths.member = member.auth;
    memberEmail = member.email;
    // Real targets, so that some requests get past "not found" and reach the bodies' validation.
    const active = await createMediaFile(t, auths.admin);
    const trashed = await createMediaFile(t, auths.admin);
    await trash(t, auths.admin, trashed.mediaId);
    const pending = await upload(t, member.auth, content());
    const tag = await t.http.post('/api/tags').set('Authorization', auths.admin).send({ name: 'fuzz tag' });
    const collection = await t.http
      .post('/api/collections')
      .set('Authorization', auths.admin)
      .send({ title: 'Fuzz collection' });
    realIds.push(
      active.mediaId,
      trashed.mediaId,
      pending.pendingFile!.id,
      member.id,
      tag.body.id,
      collection.body.id,
      'collect-garbage',
    );

    const documentResponse = await t.http.get('/api/docs-json');
    expect(documentResponse.status).toBe(200);
    operations = operationsOf(documentResponse.body as OpenApiDocument);
  });
  afterAll(async () => {
    const lines = [...statuses].map(
      ([endpoint, counts]) => `${endpoint}: ${[...counts].map(([s, n]) => `${s}×${n}`).join(' ')}`,
    );
    console.log(`fuzzed ${statuses.size} endpoints (${RUNS} runs each)\n${lines.join('\n')}`);
  });

  it('finds the endpoints in the OpenAPI document', () => {
    // A sanity floor: the contract's endpoints are all documented (auth, users, uploads, pending, files, trash,
    // usages, tags, collections, operations).
    expect(operations.length).toBeGreaterThanOrEqual(35);
    for (const expected of [
      'post /api/auth/login',
      'post /api/pending/{id}/approve',
      'patch /api/files/{id}',
      'post /api/uploads/check',
    ]) {
      expect(operations.map((o) => `${o.method} ${o.path}`)).toContain(expected);
    }
  });

  it('answers every generated request below 500, with the error shape for every 4xx and nothing leaked', async () => {
    for (const operation of operations) {
      // Fresh sessions for every endpoint: fuzzing logout (or disabling the member) ends the callers' sessions, and
      // the endpoints after it would otherwise only ever see 401.
      auths.admin = await t.login(ADMIN_EMAIL, ADMIN_PASSWORD);
      const memberLogin = await t.http.post('/api/auth/login').send({ email: memberEmail, password: MEMBER_PASSWORD });
      auths.member = memberLogin.status === 200 ? `Bearer ${memberLogin.body.accessToken as string}` : undefined;
      const endpoint = `${operation.method.toUpperCase()} ${operation.path}`;
      const counts = new Map<number, number>();
      statuses.set(endpoint, counts);
      const input = fc.record({
        role: fc.constantFrom('admin' as const, 'admin' as const, 'member' as const, 'anonymous' as const),
        params: fc.tuple(...operation.pathParams.map(() => pathParamArbitrary(realIds))),
        query: queryArbitrary(operation.queryParams),
        body:
          operation.method === 'get' || operation.method === 'delete'
            ? fc.option(bodyArbitrary([]), { freq: 4 })
            : bodyArbitrary(operation.bodyFields, operation.plausible),
      });
      await fc.assert(
        fc.asyncProperty(input, async ({ role, params, query, body }) => {
          let path = operation.path;
          operation.pathParams.forEach((name, index) => {
            path = path.replace(`{${name}}`, encodeURIComponent(params[index]));
          });
          const url = query ? `${path}?${query}` : path;
          let call = t.http[operation.method](url);
          const auth = auths[role];
          if (auth) call = call.set('Authorization', auth);
          if (body !== null && body !== undefined) call = call.set('Content-Type', 'application/json').send(body);
          const response = await call;
          counts.set(response.status, (counts.get(response.status) ?? 0) + 1);

          const text = response.text ?? '';
          const where =
            `${endpoint} as ${role}: ${url.slice(0, 300)} body ${String(body).slice(0, 300)} → ` +
            `${response.status} ${text.slice(0, 500)}`;
          if (response.status >= 500) throw new Error(`5xx: ${where}`);
          if (response.status >= 400) {
            const error = response.body as Record<string, unknown>;
            const shaped =
              error.statusCode === response.status &&
              typeof error.error === 'string' &&
              typeof error.code === 'string' &&
              UPPER_SNAKE.test(error.code) &&
              typeof error.message === 'string' &&
              typeof error.details === 'object' &&
              error.details !== null &&
              typeof error.requestId === 'string';
            if (!shaped) throw new Error(`not the error shape: ${where}`);
            if (error.code === 'VALIDATION_FAILED' && !Array.isArray((error.details as { fields?: unknown })?.fields)) {
              throw new Error(`VALIDATION_FAILED without details.fields: ${where}`);
            }
          }
          // A download's 302 points at a signed storage URL by design (the contract); every other body is checked.
          const signedRedirect = response.status === 302 && /\/download$/.test(operation.path);
          if (!signedRedirect && (LEAKS.test(text) || text.includes(t.bucket))) throw new Error(`leak: ${where}`);
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    }
  }, 180_000);

  it('answers JSON nested 10,000 deep with 400 on every endpoint, for every caller', async () => {
    // Fresh tokens: the random runs may have logged the others out.
    const callers = [(await t.createUser('admin')).auth, (await t.createUser('member')).auth, undefined];
    for (const operation of operations) {
      const path = operation.path.replace(/\{[^}]+\}/g, realIds[0]);
      for (const auth of callers) {
        let call = t.http[operation.method](path).set('Content-Type', 'application/json');
        if (auth) call = call.set('Authorization', auth);
        const response = await call.send(DEEP_JSON);
        expect({
          endpoint: `${operation.method} ${operation.path}`,
          status: response.status,
          code: response.body.code,
        }).toEqual({
          endpoint: `${operation.method} ${operation.path}`,
          status: 400,
          code: 'BAD_REQUEST',
        });
      }
    }
  });

  it('answers out-of-range numbers with 400 naming the field, on every numeric query and body field', async () => {
    // A fresh session: the fuzzing above may have ended the earlier one (POST /api/auth/logout as the admin).
    const admin = await t.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    const checked: string[] = [];
    for (const operation of operations) {
      const path = operation.path.replace(/\{[^}]+\}/g, realIds[0]);
      const fields = [
        ...operation.numericQueryParams.map((name) => ({ name, in: 'query' as const })),
        ...operation.numericBodyFields.map((name) => ({ name, in: 'body' as const })),
      ];
      for (const field of fields) {
        for (const number of BEYOND_EVERY_RANGE) {
          let call = t.http[operation.method](field.in === 'query' ? `${path}?${field.name}=${number}` : path);
          call = call.set('Authorization', admin);
          if (field.in === 'body') {
            call = call.set('Content-Type', 'application/json').send(`{${JSON.stringify(field.name)}:${number}}`);
          }
          const response = await call;
          const where = `${operation.method} ${operation.path} ${field.in} ${field.name}=${number}`;
          expect({ where, status: response.status, code: response.body.code }).toEqual({
            where,
            status: 400,
            code: 'VALIDATION_FAILED',
          });
          expect({ where, fields: JSON.stringify(response.body.details) }).toEqual({
            where,
            fields: expect.stringContaining(field.name),
          });
        }
        checked.push(`${operation.method} ${operation.path} ${field.name}`);
      }
    }
    // Floor: page/pageSize on every list, minSize/maxSize on the search, olderThanDays on emptying the trash.
    expect(checked).toEqual(
      expect.arrayContaining(['get /api/files minSize', 'get /api/files maxSize', 'get /api/users page']),
    );
  });
});
