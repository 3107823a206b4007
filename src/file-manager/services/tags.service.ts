import { Injectable } from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';
import { isAdmin, type AuthenticatedUser } from '../../auth/authenticated-user.js';
import { isUniqueViolation } from '../../common/errors/database-errors.js';
import { offsetOf, toPage, type Page } from '../../common/pagination.js';
import { inTransaction } from '../../database/transactions.js';
import type { NamedListQueryDto } from '../dto/library.dto.js';
import type { CreateTagDto, UpdateTagDto } from '../dto/tags-collections.dto.js';
import {
  NotYoursException,
  SlugTakenException,
  TagExistsException,
  TagNotFoundException,
} from '../file-manager.errors.js';
import { MediaFilesRepository } from '../repositories/media-files.repository.js';
import { insertWithSlug, TAG_SLUGS } from '../repositories/slugs.js';
import { TagsRepository } from '../repositories/tags.repository.js';
import { slugify } from '../utils/slug.util.js';
import type { TagResponse } from '../dto/tag-collection.response.js';

/** What the API shows: the OpenAPI document's `TagResponse`. */
export type TagView = TagResponse;

/**
 * Tags: anyone may read them (they carry no access level), any authenticated user may create one, the creator or
 * an admin may change or delete it. Names are unique case-insensitively (the `tags_name_lower_key` index decides,
 * so two instances creating the same name at once can't both succeed). Slugs are stable once given.
 */
@Injectable()
export class TagsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tags: TagsRepository,
    private readonly mediaFiles: MediaFilesRepository,
  ) {}

  async list(query: NamedListQueryDto): Promise<Page<TagView>> {
    const { tags, total } = await this.tags.list(query.q, { limit: query.pageSize, offset: offsetOf(query) });
    return toPage(tags, total, query);
  }

  async get(id: string): Promise<TagView> {
    const tag = await this.tags.find(id);
    if (!tag) throw new TagNotFoundException();
    return tag;
  }

  async create(dto: CreateTagDto, user: AuthenticatedUser): Promise<TagView> {
    return this.refusingTakenName(dto.name, () =>
      inTransaction(this.dataSource, (runner) =>
        insertWithSlug(runner, TAG_SLUGS, { given: dto.slug, base: slugify(dto.name, 'tag') }, (slug) =>
          this.tags.insert(runner, { ...dto, slug }, user.id),
        ),
      ),
    );
  }

  async update(id: string, dto: UpdateTagDto, user: AuthenticatedUser): Promise<TagView> {
    const tag = await this.findManaged(id, user);
    return this.refusingTakenName(dto.name ?? tag.name, () =>
      inTransaction(this.dataSource, async (runner) => {
        // A rename refreshes the search text of every file with this tag (trigger `tags_search_refresh`): the tag,
        // then its files in id order, like a deletion, so two renames or a rename and a PATCH never deadlock.
        if (dto.name !== undefined) await this.lockTagAndFiles(runner, id);
        try {
          const updated = await this.tags.update(runner, id, dto);
          if (!updated) throw new TagNotFoundException();
          return updated;
        } catch (error) {
          if (isUniqueViolation(error, TAG_SLUGS.constraint)) throw new SlugTakenException('tag', dto.slug);
          throw error;
        }
      }),
    );
  }

  /**
   * The tag goes; files and collections lose it (cascade), files' search text and `tag_ids` follow (triggers).
   * Locks in the order every change of links takes them: the tag, then its files (in id order), then the links.
   * The cascade alone would take the links first and the files last (in the trigger), the reverse of a PATCH,
   * which deadlocked against a concurrent PATCH removing this tag from one of the files.
   */
  async remove(id: string, user: AuthenticatedUser): Promise<void> {
    await this.findManaged(id, user);
    await inTransaction(this.dataSource, async (runner) => {
      if (!(await this.lockTagAndFiles(runner, id))) throw new TagNotFoundException();
      await this.tags.delete(runner, id);
    });
  }

  /**
   * The tag row FOR UPDATE (a PATCH or approval linking it holds it FOR SHARE first, so no new file can get the tag
   * meanwhile), then every file linked to it FOR UPDATE in id order. False when the tag is gone.
   */
  private async lockTagAndFiles(runner: QueryRunner, id: string): Promise<boolean> {
    if (!(await this.tags.lock(runner, id))) return false;
    await this.mediaFiles.lockLinkedTo(runner, { tagId: id });
    return true;
  }

  /** Runs a write that may take a name another tag has (case-insensitively): TAG_EXISTS then. */
  private async refusingTakenName<T>(name: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (isUniqueViolation(error, 'tags_name_lower_key')) throw new TagExistsException(name);
      throw error;
    }
  }

  private async findManaged(id: string, user: AuthenticatedUser): Promise<TagView> {
    const tag = await this.tags.findWithCreator(id);
    if (!tag) throw new TagNotFoundException();
    if (!isAdmin(user) && tag.createdById !== user.id) throw new NotYoursException('change this tag');
    const { createdById: _, ...view } = tag;
    return view;
  }
}
