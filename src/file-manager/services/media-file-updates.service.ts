import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import { inTransaction } from '../../database/transactions.js';
import { assertMayChange, assertMayGrant } from '../access-policy.js';
import type { UpdateMediaFileDto } from '../dto/library.dto.js';
import {
  MediaFileNotFoundException,
  UnknownCollectionsException,
  UnknownTagsException,
} from '../file-manager.errors.js';
import { CollectionsRepository } from '../repositories/collections.repository.js';
import { MediaFilesRepository } from '../repositories/media-files.repository.js';
import { TagsRepository } from '../repositories/tags.repository.js';
import type { MediaFileView } from '../views.js';
import { MediaFileDetailsService } from './media-file-details.service.js';

/** `PATCH /api/files/:id`: a media file's metadata, tags and collections. */
@Injectable()
export class MediaFileUpdatesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly mediaFiles: MediaFilesRepository,
    private readonly tags: TagsRepository,
    private readonly collections: CollectionsRepository,
    private readonly details: MediaFileDetailsService,
  ) {}

  /**
   * Changes metadata; `tagIds` and `collectionIds` replace the current sets (of collections: those the caller may
   * see; a file's place in someone else's private collection is not theirs to change). Unknown tags or collections
   * (a collection the caller may not see counts as unknown) refuse the whole change. Tags and collections are locked
   * (FOR SHARE) before the media row, the order a tag's deletion takes them in (tag, then the files it cascades to).
   * The slug stays what it is unless one is given: links to the file keep working after a title change.
   */
  async update(id: string, dto: UpdateMediaFileDto, user: AuthenticatedUser): Promise<MediaFileView> {
    await inTransaction(this.dataSource, async (runner) => {
      const tagIds = dto.tagIds && [...new Set(dto.tagIds)];
      const collectionIds = dto.collectionIds && [...new Set(dto.collectionIds)];
      const missingTags = tagIds ? await this.tags.lockShared(runner, tagIds) : [];
      if (missingTags.length) throw new UnknownTagsException(missingTags);
      const missingCollections = collectionIds
        ? await this.collections.lockShared(runner, collectionIds, { visibleTo: user })
        : [];
      if (missingCollections.length) throw new UnknownCollectionsException(missingCollections);

      const file = await this.mediaFiles.lockActive(runner, id);
      assertMayChange(file, user, () => new MediaFileNotFoundException(), 'change this file');
      assertMayGrant(dto.accessLevel, file!, user);
      await this.mediaFiles.update(runner, id, dto);
      if (tagIds) await this.mediaFiles.replaceTags(runner, id, tagIds);
      if (collectionIds) await this.mediaFiles.replaceVisibleCollections(runner, id, collectionIds, user);
    });
    return this.details.get(id, user);
  }
}
