import { Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import { assertMayChange } from '../access-policy.js';
import { MediaFileNotFoundException } from '../file-manager.errors.js';
import type { MediaFileView } from '../views.js';
import { MediaFileDetailsService } from './media-file-details.service.js';
import { UploadService } from './upload.service.js';

/**
 * `PUT /api/files/:id/content`: new bytes for a media file, keeping the file (id, slug, tags, collections, usages,
 * metadata). Applied at once for admins (the route says who); the content decisions are `HashCleanupService.replace`.
 */
@Injectable()
export class ContentReplacementService {
  constructor(
    private readonly uploads: UploadService,
    private readonly details: MediaFileDetailsService,
  ) {}

  async replace(request: IncomingMessage, id: string, user: AuthenticatedUser): Promise<MediaFileView> {
    await this.uploads.replaceContent(request, id, (file) =>
      assertMayChange(file, user, () => new MediaFileNotFoundException(), 'change this file'),
    );
    return this.details.get(id, user);
  }
}
