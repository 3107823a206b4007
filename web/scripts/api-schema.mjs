#!/usr/bin/env node
/**
 * Regenerates web/src/api/schema.d.ts (the console's API types) from the server's OpenAPI document:
 *   npm run api:schema [-- <url or file>]   (default http://localhost:3000/api/docs-json, a running server)
 * `--default-non-nullable false`: a field with a server-side default stays optional for the client.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const source = process.argv[2] ?? 'http://localhost:3000/api/docs-json';
const output = fileURLToPath(new URL('../src/api/schema.d.ts', import.meta.url));
const cli = fileURLToPath(new URL('../../node_modules/openapi-typescript/bin/cli.js', import.meta.url));
const result = spawnSync(process.execPath, [cli, source, '--default-non-nullable', 'false', '-o', output], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
