// Lets plain `node` run the project's TypeScript (ESM, decorators) through the same SWC hooks as the test harness.
import { register } from 'node:module';

register('../test/support/typescript-loader.mjs', import.meta.url);
