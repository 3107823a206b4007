import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isAdmin, type AuthenticatedUser } from '../../auth/authenticated-user.js';
import { inTransaction } from '../../database/transactions.js';
import type { UsageDto } from '../dto/library.dto.js';
import { MediaFileNotFoundException, NotYoursException } from '../file-manager.errors.js';
import { MediaFilesRepository } from '../repositories/media-files.repository.js';
import { UsagesRepository } from '../repositories/usages.repository.js';
import type { UsageResponse } from '../dto/usage.response.js';

/** What the API shows: the OpenAPI document's `UsageResponse`. */
export type UsageView = UsageResponse;

/**
 * Where a media file is used. A file in use cannot be trashed: TrashService checks for usages under the media
 * row's `FOR UPDATE` lock, and recording a usage holds the same row `FOR SHARE` (the two conflict) while it checks
 * that the file is active and inserts — so a usage and a trash racing each other can never both succeed.
 */
@Injectable()
export class UsagesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly usages: UsagesRepository,
    private readonly mediaFiles: MediaFilesRepository,
  ) {}

  /** Idempotent: `created` is false when this usage was already recorded (its original date is kept). */
  async record(
    mediaFileId: string,
    dto: UsageDto,
    user: AuthenticatedUser,
  ): Promise<{ created: boolean; usage: UsageView }> {
    return inTransaction(this.dataSource, async (runner) => {
      if (!(await this.mediaFiles.lockReadableShared(runner, mediaFileId, user)))
        throw new MediaFileNotFoundException();
      const inserted = await this.usages.insert(runner, mediaFileId, dto, user.id);
      // Recorded before: the original date.
      const createdAt = inserted ?? (await this.usages.createdAt(runner, mediaFileId, dto));
      return {
        created: inserted !== undefined,
        usage: { contentType: dto.contentType, contentId: dto.contentId, createdAt: createdAt!.toISOString() },
      };
    });
  }

  /**
   * Only the member who recorded the usage, or an admin, may remove it (403 otherwise): a usage is someone's
   * claim that their content needs the file. Idempotent too: removing a usage that is not recorded succeeds.
   */
  async remove(mediaFileId: string, dto: UsageDto, user: AuthenticatedUser): Promise<void> {
    await this.assertReadable(mediaFileId, user);
    const outcome = await this.usages.deleteOwn(mediaFileId, dto, isAdmin(user) ? undefined : user.id);
    if (outcome === 'not-yours') throw new NotYoursException('remove this usage');
  }

  async list(mediaFileId: string, user?: AuthenticatedUser): Promise<{ count: number; usages: UsageView[] }> {
    await this.assertReadable(mediaFileId, user);
    const usages = (await this.usages.list(mediaFileId)).map((row) => ({
      ...row,
      createdAt: row.createdAt.toISOString(),
    }));
    return { count: usages.length, usages };
  }

  private async assertReadable(mediaFileId: string, user?: AuthenticatedUser): Promise<void> {
    if (!(await this.mediaFiles.isReadable(mediaFileId, user))) throw new MediaFileNotFoundException();
  }
}
