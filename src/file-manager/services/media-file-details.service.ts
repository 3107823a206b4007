import { Injectable } from '@nestjs/common';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import { MediaFileNotFoundException } from '../file-manager.errors.js';
import { MediaFileViewsRepository } from '../repositories/media-file-views.repository.js';
import type { MediaFileView } from '../views.js';

/** One media file, by id or slug. A file the caller may not see is answered exactly like a missing one. */
@Injectable()
export class MediaFileDetailsService {
  constructor(private readonly views: MediaFileViewsRepository) {}

  get(id: string, user?: AuthenticatedUser): Promise<MediaFileView> {
    return this.find({ id }, user);
  }

  getBySlug(slug: string, user?: AuthenticatedUser): Promise<MediaFileView> {
    return this.find({ slug }, user);
  }

  private async find(by: { id: string } | { slug: string }, user?: AuthenticatedUser): Promise<MediaFileView> {
    const view = await this.views.findReadable(by, user);
    if (!view) throw new MediaFileNotFoundException();
    return view;
  }
}
