#!/usr/bin/env node
// `npx mediavault <command>`: runs the built CLI (src/cli/main.ts).
// Build first: `npm run build` (`npm start` builds too).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('mediavault: the CLI is not built yet; run `npm run build` first');
  process.exit(1);
}
await import(entry.href);
