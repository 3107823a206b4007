import { Injectable } from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import { offsetOf, toPage, type Page } from '../../common/pagination.js';
import { inTransaction } from '../../database/transactions.js';
import { assertMayChange, assertMayGrant } from '../access-policy.js';
import type { NamedListQueryDto } from '../dto/library.dto.js';
import type { CreateCollectionDto, UpdateCollectionDto } from '../dto/tags-collections.dto.js';
import { CollectionNotFoundException, SlugTakenException, UnknownTagsException } from '../file-manager.errors.js';
import { CollectionsRepository, type CollectionView } from '../repositories/collections.repository.js';
import { onUniqueViolation } from '../repositories/db.js';
import { MediaFilesRepository } from '../repositories/media-files.repository.js';
import { COLLECTION_SLUGS, insertWithSlug } from '../repositories/slugs.js';
import { TagsRepository } from '../repositories/tags.repository.js';
import { slugify } from '../utils/slug.util.js';

export type { CollectionView } from '../repositories/collections.repository.js';

/**
 * Collections carry an access level like media files and follow the same rule (`readableCondition` over `c`):
 * one the caller may not see does not exist for them. `fileCount` counts only active files the caller may see,
 * so it always equals the `count` of `GET /api/files?collectionIds=<id>` for that caller.
 */
@Injectable()
export class CollectionsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly collections: CollectionsRepository,
    private readonly tags: TagsRepository,
    private readonly mediaFiles: MediaFilesRepository,
  ) {}

  async list(query: NamedListQueryDto, user?: AuthenticatedUser): Promise<Page<CollectionView>> {
    const { views, total } = await this.collections.list(
      query.q,
      { limit: query.pageSize, offset: offsetOf(query) },
      user,
    );
    return toPage(views, total, query);
  }

  async get(id: string, user?: AuthenticatedUser): Promise<CollectionView> {
    const view = await this.collections.findReadable(id, user);
    if (!view) throw new CollectionNotFoundException();
    return view;
  }

  async create(dto: CreateCollectionDto, user: AuthenticatedUser): Promise<CollectionView> {
    assertMayGrant(dto.accessLevel, { createdById: user.id }, user);
    const id = await inTransaction(this.dataSource, async (runner) => {
      const tagIds = await this.lockTags(runner, dto.tagIds);
      const created = await insertWithSlug(
        runner,
        COLLECTION_SLUGS,
        { given: dto.slug, base: slugify(dto.title, 'collection') },
        (slug) => this.collections.insert(runner, { ...dto, slug }, user.id),
      );
      if (tagIds) await this.collections.replaceTags(runner, created, tagIds);
      return created;
    });
    return this.get(id, user);
  }

  async update(id: string, dto: UpdateCollectionDto, user: AuthenticatedUser): Promise<CollectionView> {
    await inTransaction(this.dataSource, async (runner) => {
      const tagIds = await this.lockTags(runner, dto.tagIds);
      const collection = await this.lockManaged(runner, id, user);
      assertMayGrant(dto.accessLevel, collection, user);
      await onUniqueViolation(
        COLLECTION_SLUGS.constraint,
        () => this.collections.update(runner, id, dto),
        () => new SlugTakenException('collection', dto.slug),
      );
      if (tagIds) await this.collections.replaceTags(runner, id, tagIds);
    });
    return this.get(id, user);
  }

  /** The collection goes; its files stay (they only lose the membership). */
  async remove(id: string, user: AuthenticatedUser): Promise<void> {
    await inTransaction(this.dataSource, async (runner) => {
      await this.lockManaged(runner, id, user);
      // Its files next, in id order, before the cascade takes their links: the order of a PATCH (collection, file,
      // links); the cascade alone would lock links first and files last (in the `collection_ids` trigger).
      await this.mediaFiles.lockLinkedTo(runner, { collectionId: id });
      await this.collections.delete(runner, id);
    });
  }

  /** Locks the collection for a change: 404 when the caller may not see it, 403 when they may not change it. */
  private async lockManaged(
    runner: QueryRunner,
    id: string,
    user: AuthenticatedUser,
  ): Promise<{ createdById: string }> {
    const row = await this.collections.lock(runner, id);
    // A collection whose creator is gone (created_by NULL) is the admins' to manage.
    const collection = row && { accessLevel: row.accessLevel, createdById: row.createdById ?? '' };
    assertMayChange(collection, user, () => new CollectionNotFoundException(), 'change this collection');
    return collection!;
  }

  /** Tags first (FOR SHARE), like every change that links tags: a tag deleted meanwhile can't slip through. */
  private async lockTags(runner: QueryRunner, tagIds: string[] | undefined): Promise<string[] | undefined> {
    if (!tagIds) return undefined;
    const ids = [...new Set(tagIds)];
    const missing = await this.tags.lockShared(runner, ids);
    if (missing.length) throw new UnknownTagsException(missing);
    return ids;
  }
}
