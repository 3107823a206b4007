import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, IsNull, Not, type Repository } from 'typeorm';
import { isAdmin, type AuthenticatedUser } from '../../auth/authenticated-user.js';
import { ForbiddenException } from '../../common/errors/domain.exception.js';
import { offsetOf, toPage, type Page, type PaginationQueryDto } from '../../common/pagination.js';
import { inTransaction } from '../../database/transactions.js';
import { canManage, canRead } from '../access-policy.js';
import { MediaFile } from '../entities/media-file.entity.js';
import { InUseException, MediaFileNotFoundException } from '../file-manager.errors.js';
import { toMediaFileView, type MediaFileView } from '../views.js';
import { FileRecordsService } from './file-records.service.js';
import { HashCleanupService } from './hash-cleanup.service.js';

/** The trash: soft delete, restore, purge one, empty. Content decisions are HashCleanupService's. */
@Injectable()
export class TrashService {
  constructor(
    @InjectRepository(MediaFile) private readonly mediaFiles: Repository<MediaFile>,
    private readonly dataSource: DataSource,
    private readonly hashCleanup: HashCleanupService,
    private readonly records: FileRecordsService,
  ) {}

  /**
   * Moves an active media file to the trash. Its content stays stored (a trashed file still needs it). Refused
   * while the file has usages; the usage check and the update happen under the media row's lock, so a usage
   * recorded concurrently (which locks the row too) is either seen here or refused there.
   */
  async moveToTrash(id: string, user: AuthenticatedUser): Promise<void> {
    await inTransaction(this.dataSource, async (runner) => {
      const [file] = (await runner.query(
        `SELECT access_level AS "accessLevel", created_by AS "createdById"
           FROM media_files WHERE id = $1 AND deleted_at IS NULL FOR UPDATE`,
        [id],
      )) as Array<{ accessLevel: MediaFile['accessLevel']; createdById: string }>;
      if (!file || !canRead(file, user)) throw new MediaFileNotFoundException();
      if (!canManage(file, user)) throw new ForbiddenException('Only the uploader or an admin may delete this file');
      const [{ count }] = (await runner.query(`SELECT count(*)::int AS count FROM media_usages WHERE media_file_id = $1`, [
        id,
      ])) as Array<{ count: number }>;
      if (count > 0) throw new InUseException(count);
      await runner.query(
        `UPDATE media_files SET deleted_at = now(), deleted_by = $2, updated_at = now() WHERE id = $1`,
        [id, user.id],
      );
    });
  }

  /** Trashed files, most recently trashed first: a member's own, every one for admins. */
  async list(query: PaginationQueryDto, user: AuthenticatedUser): Promise<Page<MediaFileView>> {
    const [files, count] = await this.mediaFiles.findAndCount({
      where: { deletedAt: Not(IsNull()), ...(isAdmin(user) ? {} : { createdById: user.id }) },
      withDeleted: true,
      relations: { createdBy: true, tags: true, collections: true },
      order: { deletedAt: 'DESC', id: 'DESC' },
      skip: offsetOf(query),
      take: query.pageSize,
    });
    return toPage(files.map(toMediaFileView), count, query);
  }

  async restore(id: string, user: AuthenticatedUser): Promise<MediaFileView> {
    await this.hashCleanup.restore(id, (file) => {
      // A member's view of the trash is their own files: anything else does not exist for them.
      if (!canManage(file, user)) throw new MediaFileNotFoundException();
    });
    const restored = await this.records.findMediaFile(id);
    if (!restored) throw new MediaFileNotFoundException();
    return toMediaFileView(restored);
  }

  purge(id: string): Promise<void> {
    return this.hashCleanup.purge(id);
  }

  /** Purges every file trashed at least `olderThanDays` days ago, one short transaction each. */
  async purgeOlderThan(olderThanDays: number): Promise<number> {
    const candidates = (await this.dataSource.query(
      `SELECT id FROM media_files WHERE deleted_at IS NOT NULL AND deleted_at <= now() - make_interval(days => $1)
        ORDER BY deleted_at`,
      [olderThanDays],
    )) as Array<{ id: string }>;
    let purged = 0;
    for (const { id } of candidates) {
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
