import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import type { CorsOrigins, TrustProxySetting } from '../config/network-lists.js';
import { isApiPath } from './console.js';

/**
 * Security headers and CORS. helmet's defaults, except:
 * - `Cross-Origin-Resource-Policy: cross-origin`: media content is meant to be embedded by the frontend (and public
 *   files by anyone), which may live on another origin; `same-origin` would make browsers drop those responses.
 * - No `upgrade-insecure-requests` in the CSP: the server is often reached over plain HTTP (development, a LAN, TLS
 *   ending at a proxy that forwards http), where it would make browsers fetch the Swagger UI's assets over https.
 *   The rest of helmet's default CSP already suits the Swagger UI at /api/docs: its scripts are same-origin files
 *   (no inline script), its inline styles and `data:` images are allowed.
 * The web console (everything outside the API prefix) gets the same policy plus what it needs and nothing more:
 * `'self'` for images, media and frames (signed media URLs, thumbnails included, are served under /api/media on this
 * origin), `data:` images (placeholders, blur-up thumbhashes), the storage's public origin for images, media and
 * frames, and `'wasm-unsafe-eval'` so its hashing worker may compile WebAssembly (no `eval` of JavaScript).
 */
export function applyHttpProtection(
  app: NestExpressApplication,
  config: { trustProxy: TrustProxySetting; corsOrigins: CorsOrigins },
  { apiPrefix, mediaOrigin }: { apiPrefix: string; mediaOrigin: string },
): void {
  app.set('trust proxy', config.trustProxy);
  const common = { crossOriginResourcePolicy: { policy: 'cross-origin' as const } };
  const api = helmet({ ...common, contentSecurityPolicy: { directives: { 'upgrade-insecure-requests': null } } });
  const webConsole = helmet({
    ...common,
    contentSecurityPolicy: {
      directives: {
        'upgrade-insecure-requests': null,
        'script-src': ["'self'", "'wasm-unsafe-eval'"],
        'img-src': ["'self'", 'data:', mediaOrigin],
        'media-src': ["'self'", mediaOrigin],
        'frame-src': ["'self'", mediaOrigin],
        'worker-src': ["'self'"],
      },
    },
  });
  app.use((request: Request, response: Response, next: NextFunction) =>
    (isApiPath(request.path, apiPrefix) ? api : webConsole)(request, response, next),
  );
  if (config.corsOrigins !== false) {
    app.enableCors({
      // `*` answers any origin but never with credentials (browsers refuse that combination anyway); tokens travel
      // in the Authorization header, so no credentials mode is needed.
      origin: config.corsOrigins === '*' ? '*' : config.corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE', 'OPTIONS'],
      allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id', 'Range'],
      exposedHeaders: ['X-Request-Id', 'Retry-After', 'Content-Disposition', 'Content-Range', 'Accept-Ranges', 'ETag'],
      maxAge: 600,
    });
  }
}
