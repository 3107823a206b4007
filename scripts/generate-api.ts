/**
 * `npm run generate:api`: writes the OpenAPI document (built from the app module, no database needed) and the
 * TypeScript types openapi-typescript derives from it, which the web console's openapi-fetch client uses.
 * `--check` writes nothing and exits 1 when the committed files differ from what would be generated.
 */
import 'reflect-metadata';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import { buildOfflineOpenApiDocument } from '../src/common/openapi/offline-document.js';

export const API_DIR = new URL('../web/src/api/', import.meta.url);

/** File name (under web/src/api) → content, as `npm run generate:api` writes them. */
export async function generateApiFiles(): Promise<Record<string, string>> {
  const document = await buildOfflineOpenApiDocument();
  const json = `${JSON.stringify(document, null, 2)}\n`;
  // A field with a server-side default (`accessLevel`, `page`) stays optional for the client that sends it.
  const ast = await openapiTS(JSON.parse(json) as Parameters<typeof openapiTS>[0], { defaultNonNullable: false });
  // The same bytes as the openapi-typescript CLI writes (`npm run api:schema` from a running server).
  const types = COMMENT_HEADER + astToString(ast);
  return { 'openapi.json': json, 'schema.d.ts': types };
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const files = await generateApiFiles();
  const stale: string[] = [];
  for (const [name, content] of Object.entries(files)) {
    const path = fileURLToPath(new URL(name, API_DIR));
    if (check) {
      const committed = await readFile(path, 'utf8').catch(() => undefined);
      if (committed !== content) stale.push(`web/src/api/${name}`);
    } else {
      await writeFile(path, content);
    }
  }
  if (stale.length) {
    console.error(`Stale generated API files (run npm run generate:api): ${stale.join(', ')}`);
    process.exit(1);
  }
}

// Imported by the spec that checks the committed files are current; run as a script otherwise.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
