import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NextFunction, Request, Response } from 'express';
import express from 'express';

/**
 * Where `npm run build` puts the web console (web/ built by Vite). This module is two levels below the project root
 * both as source (src/http/) and compiled (dist/http/), so the same path works for `tsc` output and the specs.
 */
export const DEFAULT_CONSOLE_DIRECTORY = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'web');

/** Vite names every built asset after its content hash, so a URL under /assets/ never changes meaning. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

export function isApiPath(path: string, apiPrefix: string): boolean {
  return path === `/${apiPrefix}` || path.startsWith(`/${apiPrefix}/`);
}

/**
 * Serves the built console outside the API prefix (never shadowing it): its files as they are, and `index.html`
 * for any other page a browser navigates to (deep links such as /pending or /files/:id are routes of the single-page
 * app).
 * Answers `undefined` when the console is not built, so the server still runs (the API alone) from a bare `tsc`.
 *
 * The fallback is for page navigations only (GET/HEAD asking for HTML): a script, an image or an API client asking
 * for a path that does not exist still gets the contract's 404, never an HTML page it cannot use.
 */
export function consoleMiddleware(
  directory: string,
  apiPrefix: string,
): ((request: Request, response: Response, next: NextFunction) => void) | undefined {
  const indexFile = join(directory, 'index.html');
  if (!existsSync(indexFile)) return undefined;
  const files = express.static(directory, {
    index: false,
    redirect: false,
    fallthrough: true,
    setHeaders: (response, path) => {
      response.setHeader('Cache-Control', path.startsWith(join(directory, 'assets')) ? IMMUTABLE : 'no-cache');
    },
  });
  return (request, response, next) => {
    if ((request.method !== 'GET' && request.method !== 'HEAD') || isApiPath(request.path, apiPrefix)) return next();
    files(request, response, () => {
      if (!wantsPage(request)) return next();
      response.setHeader('Cache-Control', 'no-cache');
      response.sendFile(indexFile, (error) => {
        if (error && !response.headersSent) next();
      });
    });
  };
}

function wantsPage(request: Request): boolean {
  // A missing asset (an old hashed file after a deployment) must fail visibly rather than load HTML as a script.
  if (request.path.startsWith('/assets/')) return false;
  return request.accepts(['html', 'json']) === 'html' && Boolean(request.headers.accept?.includes('text/html'));
}
