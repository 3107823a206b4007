import { Injectable } from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';
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
import { assertMetadataFits, withAnnotation } from '../metadata.js';
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
    // The answer is read in the change's transaction, under its row lock: read after commit, a move to the trash
    // committed in between made a PATCH that succeeded answer 404.
    return this.edit(id, dto, user, (runner) => this.details.get(id, user, runner));
  }

  /**
   * `update` without the answer, also adding or removing single links (`addTagIds`, `removeCollectionIds`, …): one
   * short transaction that locks one media row, after the tags and collections in id order. A bulk edit runs one
   * of these per file, so it can't deadlock with a PATCH, a tag's or collection's deletion, or another bulk edit.
   */
  async change(id: string, changes: MediaFileEdit, user: AuthenticatedUser): Promise<void> {
    await this.edit(id, changes, user, () => Promise.resolve());
  }

  /** `change`, then `answer` in the same transaction (still holding the media row). */
  private edit<T>(
    id: string,
    changes: MediaFileEdit,
    user: AuthenticatedUser,
    answer: (runner: QueryRunner) => Promise<T>,
  ): Promise<T> {
    const { addTagIds, removeTagIds, addCollectionIds, removeCollectionIds, ...dto } = changes;
    return inTransaction(this.dataSource, async (runner) => {
      const tagIds = dto.tagIds && unique(dto.tagIds);
      const collectionIds = dto.collectionIds && unique(dto.collectionIds);
      const linkedTags = unique([...(tagIds ?? []), ...(addTagIds ?? []), ...(removeTagIds ?? [])]);
      const linkedCollections = unique([
        ...(collectionIds ?? []),
        ...(addCollectionIds ?? []),
        ...(removeCollectionIds ?? []),
      ]);
      const missingTags = await this.tags.lockShared(runner, linkedTags);
      if (missingTags.length) throw new UnknownTagsException(missingTags);
      const missingCollections = await this.collections.lockShared(runner, linkedCollections, { visibleTo: user });
      if (missingCollections.length) throw new UnknownCollectionsException(missingCollections);

      const file = await this.mediaFiles.lockActive(runner, id);
      assertMayChange(file, user, () => new MediaFileNotFoundException(), 'change this file');
      assertMayGrant(dto.accessLevel, file, user);
      // `metadata` replaces the object; an `annotation` alone changes only `metadata.annotation`.
      const { annotation, metadata, tagIds: _, collectionIds: __, ...fields } = dto;
      const changed = metadata !== undefined || annotation !== undefined;
      await this.mediaFiles.update(runner, id, {
        ...fields,
        metadata: changed ? assertMetadataFits(withAnnotation(metadata ?? file.metadata, annotation)) : undefined,
      });
      if (tagIds) await this.mediaFiles.replaceTags(runner, id, tagIds);
      if (collectionIds) await this.mediaFiles.replaceVisibleCollections(runner, id, collectionIds, user);
      if (addTagIds?.length) await this.mediaFiles.addLinks(runner, id, { tagIds: unique(addTagIds) });
      if (removeTagIds?.length) await this.mediaFiles.removeLinks(runner, id, { tagIds: unique(removeTagIds) });
      if (addCollectionIds?.length) {
        await this.mediaFiles.addLinks(runner, id, { collectionIds: unique(addCollectionIds) });
      }
      if (removeCollectionIds?.length) {
        await this.mediaFiles.removeLinks(runner, id, { collectionIds: unique(removeCollectionIds) });
      }
      return answer(runner);
    });
  }
}

/** A change of one file: PATCH's fields, plus links added or removed one by one (bulk edits). */
export interface MediaFileEdit extends UpdateMediaFileDto {
  addTagIds?: string[];
  removeTagIds?: string[];
  addCollectionIds?: string[];
  removeCollectionIds?: string[];
}

const unique = (ids: string[]): string[] => [...new Set(ids)];
