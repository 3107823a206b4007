/**
 * Node module hooks (module.register) that let Jest's global setup and teardown load the project's TypeScript
 * natively as ES modules. Jest loads globalSetup through `require` with a CommonJS transform and no
 * moduleNameMapper, which breaks on `import.meta`, on `.js` import specifiers that name `.ts` sources and on the
 * migrator's dynamic `import()` of migration files. Inside the test workers none of this is used: Jest's own ESM
 * runtime handles the specs.
 *
 * - resolve: a relative `./x.js` imported from a `.ts` file becomes `./x.ts` when that file exists.
 * - load: `.ts` files are compiled with SWC using the same options as jest.config.js.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transform } from '@swc/core';

const swcOptions = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'es6' },
  sourceMaps: 'inline',
};

export async function resolve(specifier, context, nextResolve) {
  const relative = specifier.startsWith('./') || specifier.startsWith('../');
  if (relative && specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
    const candidate = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL);
    if (existsSync(fileURLToPath(candidate))) return { url: candidate.href, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const filename = fileURLToPath(url);
  const { code } = await transform(await readFile(filename, 'utf8'), { ...swcOptions, filename });
  return { format: 'module', source: code, shortCircuit: true };
}
