import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The console is built into dist/web, next to the compiled server, which serves it at `/` (src/http/console.ts).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  // React's automatic JSX runtime through Vite's own transformer: no Babel, no React plugin needed for a build.
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
  },
  worker: { format: 'es' },
  server: { proxy: { '/api': 'http://localhost:3000' } },
});
