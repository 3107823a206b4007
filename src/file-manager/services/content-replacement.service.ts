import { Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { isAdmin, type AuthenticatedUser } from '../../auth/authenticated-user.js';
import { assertMayChange } from '../access-policy.js';
import { MediaFileNotFoundException, PendingFileNotFoundException } from '../file-manager.errors.js';
import { MediaFileViewsRepository } from '../repositories/media-file-views.repository.js';
import { MediaFilesRepository } from '../repositories/media-files.repository.js';
import { PendingFilesRepository } from '../repositories/pending-files.repository.js';
import type { MediaFileView, PendingFileView } from '../views.js';
import { HashCleanupService } from './hash-cleanup.service.js';
import { MediaFileDetailsService } from './media-file-details.service.js';
import { UploadService } from './upload.service.js';

/** What a replacement answers: the file (replaced, or unchanged), or the replacement waiting for moderation. */
export type ReplacementAnswer =
  | { kind: 'file'; mediaFile: MediaFileView }
  | { kind: 'pending'; body: { status: 'pending'; pendingFile: PendingFileView } };

/**
 * `PUT /api/files/:id/content`: new bytes for a media file, keeping the file (id, slug, tags, collections, usages,
 * metadata). An admin's replacement applies at once; its uploader's (a member) waits for moderation as a pending file
 * naming the file (`replacesMediaFileId`), applied when an admin approves it. The content decisions are
 * `HashCleanupService.replace` and `.proposeReplacement`; who may is PATCH's rule (uploader or admin).
 */
@Injectable()
export class ContentReplacementService {
  constructor(
    private readonly uploads: UploadService,
    private readonly hashCleanup: HashCleanupService,
    private readonly details: MediaFileDetailsService,
    private readonly pendingFiles: PendingFilesRepository,
    private readonly mediaFiles: MediaFilesRepository,
    private readonly views: MediaFileViewsRepository,
  ) {}

  async replace(request: IncomingMessage, id: string, user: AuthenticatedUser): Promise<ReplacementAnswer> {
    const authorize = (file: Parameters<typeof assertMayChange>[0]) =>
      assertMayChange(file, user, () => new MediaFileNotFoundException(), 'change this file');
    // Refuse before streaming the bytes (checked again under the locks): a file the caller may not change would
    // otherwise cost a whole upload first.
    authorize(await this.mediaFiles.accessOf(id));
    if (isAdmin(user)) {
      // The answer is read in the replacement's transaction: a move to the trash right after must not make it 404.
      let mediaFile: MediaFileView | undefined;
      await this.uploads.replaceContent(request, (stored) =>
        this.hashCleanup.replace(id, stored, authorize, async (runner) => {
          mediaFile = await this.details.get(id, user, runner);
        }),
      );
      if (!mediaFile) throw new MediaFileNotFoundException();
      return { kind: 'file', mediaFile };
    }
    const outcome = await this.uploads.replaceContent(request, (stored) =>
      this.hashCleanup.proposeReplacement(id, stored, user.id, authorize),
    );
    if (outcome.status === 'unchanged') return { kind: 'file', mediaFile: await this.details.get(id, user) };
    const pending = await this.pendingFiles.findWithUploader(outcome.pendingFileId);
    if (!pending) throw new PendingFileNotFoundException();
    return { kind: 'pending', body: { status: 'pending', pendingFile: await this.views.pendingView(pending, user) } };
  }
}
