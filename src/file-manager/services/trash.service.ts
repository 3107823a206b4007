import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isAdmin, type AuthenticatedUser } from '../../auth/authenticated-user.js';
import { offsetOf, toPage, type Page, type PaginationQueryDto } from '../../common/pagination.js';
import { inTransaction } from '../../database/transactions.js';
import { assertMayChange, canManage } from '../access-policy.js';
import { InUseException, MediaFileNotFoundException } from '../file-manager.errors.js';
import { MediaFileViewsRepository } from '../repositories/media-file-views.repository.js';
import { MediaFilesRepository } from '../repositories/media-files.repository.js';
import { UsagesRepository } from '../repositories/usages.repository.js';
import type { MediaFileView } from '../views.js';
import { HashCleanupService } from './hash-cleanup.service.js';

/** The trash: soft delete, restore, purge one, empty. Content decisions are HashCleanupService's. */
@Injectable()
export class TrashService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly hashCleanup: HashCleanupService,
    private readonly mediaFiles: MediaFilesRepository,
    private readonly views: MediaFileViewsRepository,
    private readonly usages: UsagesRepository,
  ) {}

  /**
   * Moves an active media file to the trash. Its content stays stored (a trashed file still needs it). Refused
   * while the file has usages; the usage check and the update happen under the media row's lock, so a usage
   * recorded concurrently (which locks the row too) is either seen here or refused there.
   */
  async moveToTrash(id: string, user: AuthenticatedUser): Promise<void> {
    await inTransaction(this.dataSource, async (runner) => {
      const file = await this.mediaFiles.lockActive(runner, id);
      assertMayChange(file, user, () => new MediaFileNotFoundException(), 'delete this file');
      const count = await this.usages.count(runner, id);
      if (count > 0) throw new InUseException(count);
      await this.mediaFiles.moveToTrash(runner, id, user.id);
    });
  }

  /** Trashed files, most recently trashed first: a member's own, every one for admins. */
  async list(query: PaginationQueryDto, user: AuthenticatedUser): Promise<Page<MediaFileView>> {
    const page = { limit: query.pageSize, offset: offsetOf(query) };
    const { views, total } = await this.views.listTrashed(page, user, isAdmin(user) ? undefined : user.id);
    return toPage(views, total, query);
  }

  async restore(id: string, user: AuthenticatedUser): Promise<MediaFileView> {
    let restored: MediaFileView | undefined;
    await this.hashCleanup.restore(
      id,
      (file) => {
        // A member's view of the trash is their own files: anything else does not exist for them.
        if (!canManage(file, user)) throw new MediaFileNotFoundException();
      },
      // Read in the restore's transaction: a trash right after its commit must not turn a restore into a 404.
      // Its uploader may restore a file they may not read (a staff file): the answer is theirs all the same.
      async (runner) => {
        [restored] = await this.views.findActive([id], user, { readableOnly: false }, runner);
      },
    );
    if (!restored) throw new MediaFileNotFoundException();
    return restored;
  }

  purge(id: string): Promise<void> {
    return this.hashCleanup.purge(id);
  }

  /** Purges every file trashed at least `olderThanDays` days ago, one short transaction each. */
  async purgeOlderThan(olderThanDays: number): Promise<number> {
    let purged = 0;
    for (const id of await this.mediaFiles.trashedBefore(olderThanDays)) {
      try {
        await this.hashCleanup.purge(id);
        purged += 1;
      } catch (error) {
        // Restored or purged concurrently: nothing left to do for this one.
        if (!(error instanceof MediaFileNotFoundException)) throw error;
      }
    }
    return purged;
  }
}
