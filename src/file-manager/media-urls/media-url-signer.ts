import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import { authConfig } from '../../config/configuration.js';
import { RENDITION_KINDS, type RenditionKind } from '../../renditions/renditions.constants.js';
import { InvalidMediaUrlException, MediaUrlExpiredException } from '../file-manager.errors.js';

/** What a signed media URL names: one content (`hash`) of one record. */
export type MediaUrlKind = 'files' | 'pending';

/** Whose right to read the URL carries: nobody's (public files only) or one user's session. */
export type MediaUrlScope = { userId: string; sessionId?: string } | undefined;

export interface MediaUrlClaims {
  kind: MediaUrlKind;
  id: string;
  hash: string;
  signer: MediaUrlScope;
  expiresAt: number;
  /** A thumbnail or preview URL names its rendition; a content URL names none. */
  rendition?: RenditionKind;
}

/** The path segments of a signed media URL, as the route receives them. */
export interface MediaUrlSegments {
  kind: string;
  id: string;
  hash: string;
  scope: string;
  expires: string;
  signature: string;
  /** Present in rendition URLs only (`/api/media/<kind>/<id>/<hash>/<rendition>/<scope>/<expires>/<signature>`). */
  rendition?: string;
}

export const MEDIA_URL_PREFIX = '/api/media';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const SCOPE = new RegExp(`^(?:public|(${UUID})(?:\\.(${UUID}))?)$`);
const ID = new RegExp(`^${UUID}$`);
const HASH = /^[0-9a-f]{64}$/;
const EXPIRES = /^[1-9][0-9]{0,11}$/;
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Signs and verifies the browser-usable content URLs of file views (`docs/media-urls.md`):
 * `/api/media/<kind>/<id>/<hash>/<scope>/<expires>/<signature>`, an HMAC-SHA256 over every other segment with a key
 * derived from the install's JWT secret. Expiry is the end of the window after the current one, so the URL is the
 * same for a whole window (browsers cache it) and lives between one and two windows.
 */
@Injectable()
export class MediaUrlSigner {
  private readonly key: Buffer;
  private readonly windowSeconds: number;

  constructor(@Inject(authConfig.KEY) config: ConfigType<typeof authConfig>) {
    // A key of its own: a media URL signature can never be taken for a token signature or the other way round.
    this.key = createHmac('sha256', config.jwtSecret).update('mediavault media-url key v1').digest();
    this.windowSeconds = config.mediaUrlWindowSeconds;
  }

  /** The content URL of a record for `user` (anonymous: undefined), stable within the current window. */
  contentUrl(kind: MediaUrlKind, id: string, hash: string, user?: AuthenticatedUser, now = Date.now()): string {
    const expires = this.expiresAt(now);
    const scope = scopeOf(user);
    return `${MEDIA_URL_PREFIX}/${kind}/${id}/${hash}/${scope}/${expires}/${this.sign(kind, id, hash, scope, expires)}`;
  }

  /**
   * The URL of a record's thumbnail or preview for `user`: the same scope, window and checks as its content URL, with
   * the rendition named in the path and in the signature (a content URL can not be turned into a rendition URL, nor
   * the other way round).
   */
  renditionUrl(
    kind: MediaUrlKind,
    id: string,
    hash: string,
    rendition: RenditionKind,
    user?: AuthenticatedUser,
    now = Date.now(),
  ): string {
    const expires = this.expiresAt(now);
    const scope = scopeOf(user);
    const signature = this.sign(kind, id, hash, scope, expires, rendition);
    return `${MEDIA_URL_PREFIX}/${kind}/${id}/${hash}/${rendition}/${scope}/${expires}/${signature}`;
  }

  /**
   * The claims of a URL this install signed: an altered or foreign URL is refused (403) before its expiry is even
   * looked at, so `410` always means a genuine URL that expired.
   */
  verify(segments: MediaUrlSegments, now = Date.now()): MediaUrlClaims {
    const { kind, id, hash, scope, expires, signature, rendition } = segments;
    const scopeMatch = SCOPE.exec(scope);
    if (
      (kind !== 'files' && kind !== 'pending') ||
      (rendition !== undefined && !isRenditionKind(rendition)) ||
      !ID.test(id) ||
      !HASH.test(hash) ||
      !scopeMatch ||
      !EXPIRES.test(expires) ||
      !SIGNATURE.test(signature)
    ) {
      throw new InvalidMediaUrlException();
    }
    const expected = Buffer.from(this.sign(kind, id, hash, scope, Number(expires), rendition as RenditionKind));
    if (!timingSafeEqual(expected, Buffer.from(signature))) throw new InvalidMediaUrlException();
    const expiresAt = Number(expires) * 1000;
    if (now >= expiresAt) throw new MediaUrlExpiredException(new Date(expiresAt));
    const [, userId, sessionId] = scopeMatch;
    const signer = userId === undefined ? undefined : { userId, ...(sessionId ? { sessionId } : {}) };
    return { kind, id, hash, signer, expiresAt, ...(rendition ? { rendition } : {}) };
  }

  /** The end of the window after the current one (Unix seconds). */
  private expiresAt(now: number): number {
    const window = this.windowSeconds;
    return (Math.floor(now / 1000 / window) + 2) * window;
  }

  private sign(
    kind: string,
    id: string,
    hash: string,
    scope: string,
    expires: number,
    rendition?: RenditionKind,
  ): string {
    // Rendition URLs sign under a label of their own, so no content signature ever verifies as a rendition's.
    const fields = rendition
      ? ['v1-rendition', kind, id, hash, rendition, scope, String(expires)]
      : ['v1', kind, id, hash, scope, String(expires)];
    return createHmac('sha256', this.key).update(fields.join('\n')).digest('base64url');
  }
}

function isRenditionKind(value: string): value is RenditionKind {
  return (RENDITION_KINDS as readonly string[]).includes(value);
}

/** The caller's scope: their session when they have one (logging out ends the URLs), else the user alone (CLI). */
function scopeOf(user: AuthenticatedUser | undefined): string {
  if (!user) return 'public';
  return user.sessionId ? `${user.id}.${user.sessionId}` : user.id;
}
