import { Injectable } from '@nestjs/common';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import type { Db } from '../repositories/db.js';
import { MediaFileNotFoundException } from '../file-manager.errors.js';
import { MediaFileViewsRepository } from '../repositories/media-file-views.repository.js';
import { MediaFilesRepository } from '../repositories/media-files.repository.js';
import { isValidSlug, slugify } from '../utils/slug.util.js';
import type { MediaFileView } from '../views.js';

export interface SlugAvailability {
  slug: string;
  /** `slug` is a well-formed slug no media file (active or trashed) holds. */
  available: boolean;
  /** What the allocator would give for it: `slug` itself when available, else the first free `slugify(slug)-n`. */
  suggestion: string;
}

/** One media file, by id or slug. A file the caller may not see is answered exactly like a missing one. */
@Injectable()
export class MediaFileDetailsService {
  constructor(
    private readonly views: MediaFileViewsRepository,
    private readonly mediaFiles: MediaFilesRepository,
  ) {}

  /** A hint for a form, not a reservation: an approval meanwhile may take the slug (then SLUG_TAKEN). */
  async slugAvailability(slug: string): Promise<SlugAvailability> {
    const available = isValidSlug(slug) && !(await this.mediaFiles.slugTaken(slug));
    return { slug, available, suggestion: available ? slug : await this.mediaFiles.nextFreeSlug(slugify(slug)) };
  }

  /** `db`: a transaction's runner, to answer the state it leaves (a change's answer). */
  get(id: string, user?: AuthenticatedUser, db?: Db): Promise<MediaFileView> {
    return this.find({ id }, user, db);
  }

  getBySlug(slug: string, user?: AuthenticatedUser): Promise<MediaFileView> {
    return this.find({ slug }, user);
  }

  private async find(by: { id: string } | { slug: string }, user?: AuthenticatedUser, db?: Db): Promise<MediaFileView> {
    const view = await this.views.findReadable(by, user, db);
    if (!view) throw new MediaFileNotFoundException();
    return view;
  }
}
