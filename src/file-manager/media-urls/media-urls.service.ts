import { Injectable } from '@nestjs/common';
import { AuthService } from '../../auth/auth.service.js';
import { MediaFileNotFoundException, PendingFileNotFoundException } from '../file-manager.errors.js';
import { MediaContentService, type ContentAnswer, type ContentConditions } from '../services/media-content.service.js';
import { MediaUrlSigner, type MediaUrlSegments } from './media-url-signer.js';

/**
 * Opens a signed media URL: the signature and expiry first (no database), then, on every use, the record as it is
 * now: still holding the signed content, not trashed, purged or rejected, and readable by the signer as they are now
 * (role, disabled, session). The bytes come from `MediaContentService`, under the same rules as `/content`.
 */
@Injectable()
export class MediaUrlsService {
  constructor(
    private readonly signer: MediaUrlSigner,
    private readonly auth: AuthService,
    private readonly contents: MediaContentService,
  ) {}

  async open(segments: MediaUrlSegments, conditions: ContentConditions): Promise<ContentAnswer> {
    const claims = this.signer.verify(segments);
    const notFound = claims.kind === 'files' ? new MediaFileNotFoundException() : new PendingFileNotFoundException();
    const user = claims.signer && (await this.auth.activeUser(claims.signer.userId, claims.signer.sessionId));
    // The signer lost the right to read anything (disabled, logged out): as if the file were not there for them.
    if (claims.signer && !user) throw notFound;
    const { rendition } = claims;
    if (claims.kind === 'files') {
      return rendition
        ? this.contents.rendition(claims.id, rendition, conditions, user, claims.hash)
        : this.contents.content(claims.id, conditions, user, claims.hash);
    }
    if (!user) throw notFound;
    return rendition
      ? this.contents.pendingRendition(claims.id, rendition, conditions, user, claims.hash)
      : this.contents.pendingContent(claims.id, claims.hash, conditions, user);
  }
}
