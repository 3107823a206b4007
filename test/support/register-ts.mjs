// `node --import ./test/support/register-ts.mjs some.ts`: runs the project's TypeScript natively (child app
// processes in tests, benchmarks, soak, `npm run start:dev`), through the same SWC hooks Jest's global setup uses.
import { register } from 'node:module';

register('./typescript-loader.mjs', import.meta.url);
