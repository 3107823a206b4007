import { Injectable } from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import { isUniqueViolation } from '../../common/errors/database-errors.js';
import { DomainException, ForbiddenException, NotFoundException } from '../../common/errors/domain.exception.js';
import { offsetOf, toPage, type Page } from '../../common/pagination.js';
import { inTransaction } from '../../database/transactions.js';
import { canManage, canRead, readableCondition } from '../access-policy.js';
import type { AccessLevel } from '../entities/columns.js';
import { UnknownTagsException } from '../file-manager.errors.js';
import type { NamedListQueryDto } from '../dto/library.dto.js';
import type { CreateCollectionDto, UpdateCollectionDto } from '../dto/tags-collections.dto.js';
import { firstFreeSlug, slugify } from '../utils/slug.util.js';
import { SqlParams } from '../../database/sql.js';
import { likeContains } from './tags.service.js';
import type { CollectionResponse } from '../dto/tag-collection.response.js';

export type CollectionView = CollectionResponse;

class CollectionNotFoundException extends NotFoundException {
  constructor() {
    super('Collection');
  }
}

/**
 * Collections carry an access level like media files and follow the same rule (`readableCondition` over `c`):
 * one the caller may not see does not exist for them. `fileCount` counts only active files the caller may see,
 * so it always equals the `count` of `GET /api/files?collectionIds=<id>` for that caller.
 */
@Injectable()
export class CollectionsService {
  constructor(private readonly dataSource: DataSource) {}

  async list(query: NamedListQueryDto, user?: AuthenticatedUser): Promise<Page<CollectionView>> {
    const params = new SqlParams();
    const where = [params.named(readableCondition(user, 'c'))];
    if (query.q) where.push(`lower(c.title) LIKE ${params.add(likeContains(query.q))}`);
    const condition = where.join(' AND ');
    const countValues = [...params.values];
    const rows = this.select(
      params,
      user,
      `${condition} ORDER BY lower(c.title), c.id LIMIT ${params.add(query.pageSize)} OFFSET ${params.add(offsetOf(query))}`,
    );
    const [views, [{ count }]] = await Promise.all([
      rows,
      this.dataSource.query(`SELECT count(*) AS count FROM collections c WHERE ${condition}`, countValues) as Promise<
        Array<{ count: string }>
      >,
    ]);
    return toPage(views, Number(count), query);
  }

  async get(id: string, user?: AuthenticatedUser): Promise<CollectionView> {
    const params = new SqlParams();
    const [view] = await this.select(params, user, `c.id = ${params.add(id)} AND ${params.named(readableCondition(user, 'c'))}`);
    if (!view) throw new CollectionNotFoundException();
    return view;
  }

  async create(dto: CreateCollectionDto, user: AuthenticatedUser): Promise<CollectionView> {
    const id = await inTransaction(this.dataSource, async (runner) => {
      const tagIds = await this.lockTags(runner, dto.tagIds);
      const slug = dto.slug ?? (await this.freeSlug(runner, slugify(dto.title, 'collection')));
      const [created] = (await this.insertOrSlugTaken(dto.slug, () =>
        runner.query(
          `INSERT INTO collections (title, slug, description, access_level, created_by)
           VALUES ($1, $2, $3, $4, $5) RETURNING id`,
          [dto.title, slug, dto.description ?? '', dto.accessLevel ?? 'members', user.id],
        ),
      )) as Array<{ id: string }>;
      if (tagIds) await this.replaceTags(runner, created.id, tagIds);
      return created.id;
    });
    return this.get(id, user);
  }

  async update(id: string, dto: UpdateCollectionDto, user: AuthenticatedUser): Promise<CollectionView> {
    await inTransaction(this.dataSource, async (runner) => {
      const tagIds = await this.lockTags(runner, dto.tagIds);
      await this.lockManaged(runner, id, user);
      const params = new SqlParams();
      const idParam = params.add(id);
      const sets = ['updated_at = now()'];
      if (dto.title !== undefined) sets.push(`title = ${params.add(dto.title)}`);
      if (dto.slug !== undefined) sets.push(`slug = ${params.add(dto.slug)}`);
      if (dto.description !== undefined) sets.push(`description = ${params.add(dto.description)}`);
      if (dto.accessLevel !== undefined) sets.push(`access_level = ${params.add(dto.accessLevel)}`);
      await this.insertOrSlugTaken(dto.slug, () =>
        runner.query(`UPDATE collections SET ${sets.join(', ')} WHERE id = ${idParam}`, params.values),
      );
      if (tagIds) await this.replaceTags(runner, id, tagIds);
    });
    return this.get(id, user);
  }

  /** The collection goes; its files stay (they only lose the membership). */
  async remove(id: string, user: AuthenticatedUser): Promise<void> {
    await inTransaction(this.dataSource, async (runner) => {
      await this.lockManaged(runner, id, user);
      // Its files next, in id order, before the cascade takes their links: the order of a PATCH (collection, file,
      // links); the cascade alone would lock links first and files last (in the `collection_ids` trigger).
      await runner.query(
        `SELECT m.id FROM media_files m
          WHERE m.id IN (SELECT media_file_id FROM media_file_collections WHERE collection_id = $1)
          ORDER BY m.id FOR UPDATE OF m`,
        [id],
      );
      await runner.query(`DELETE FROM collections WHERE id = $1`, [id]);
    });
  }

  private select(params: SqlParams, user: AuthenticatedUser | undefined, whereAndRest: string): Promise<CollectionView[]> {
    // The file count's visibility parameters are added after the caller's, so both can share `params`.
    const readable = params.named(readableCondition(user, 'm'));
    return this.dataSource
      .query(
        `SELECT c.id, c.title, c.slug, c.description, c.access_level AS "accessLevel",
                c.created_at AS "createdAt", c.updated_at AS "updatedAt",
                coalesce((SELECT json_agg(json_build_object('id', t.id, 'name', t.name, 'slug', t.slug) ORDER BY t.name)
                            FROM collection_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.collection_id = c.id), '[]') AS tags,
                (SELECT count(*) FROM media_file_collections mc JOIN media_files m ON m.id = mc.media_file_id
                  WHERE mc.collection_id = c.id AND m.deleted_at IS NULL AND ${readable}) AS "fileCount"
           FROM collections c
          WHERE ${whereAndRest}`,
        params.values,
      )
      .then((rows: Array<Omit<CollectionView, 'fileCount' | 'createdAt' | 'updatedAt'> & { fileCount: string; createdAt: Date; updatedAt: Date }>) =>
        rows.map((row) => ({
          ...row,
          fileCount: Number(row.fileCount),
          createdAt: row.createdAt.toISOString(),
          updatedAt: row.updatedAt.toISOString(),
        })),
      );
  }

  /** Locks the collection for a change: 404 when the caller may not see it, 403 when they may not change it. */
  private async lockManaged(runner: QueryRunner, id: string, user: AuthenticatedUser): Promise<void> {
    const [row] = (await runner.query(
      `SELECT access_level AS "accessLevel", created_by AS "createdById" FROM collections WHERE id = $1 FOR UPDATE`,
      [id],
    )) as Array<{ accessLevel: AccessLevel; createdById: string | null }>;
    // A collection whose creator is gone (created_by NULL) is the admins' to manage.
    const file = row && { accessLevel: row.accessLevel, createdById: row.createdById ?? '' };
    if (!file || !canRead(file, user)) throw new CollectionNotFoundException();
    if (!canManage(file, user)) throw new ForbiddenException('Only the creator of this collection or an admin may change it');
  }

  /** Tags first (FOR SHARE), like every change that links tags: a tag deleted meanwhile can't slip through. */
  private async lockTags(runner: QueryRunner, tagIds: string[] | undefined): Promise<string[] | undefined> {
    if (!tagIds) return undefined;
    const ids = [...new Set(tagIds)];
    if (ids.length === 0) return ids;
    const found = (await runner.query(`SELECT id FROM tags WHERE id = ANY($1::uuid[]) FOR SHARE`, [ids])) as Array<{ id: string }>;
    const present = new Set(found.map((row) => row.id));
    const missing = ids.filter((id) => !present.has(id));
    if (missing.length) throw new UnknownTagsException(missing);
    return ids;
  }

  private async replaceTags(runner: QueryRunner, collectionId: string, tagIds: string[]): Promise<void> {
    await runner.query(`DELETE FROM collection_tags WHERE collection_id = $1 AND NOT (tag_id = ANY($2::uuid[]))`, [
      collectionId,
      tagIds,
    ]);
    await runner.query(
      `INSERT INTO collection_tags (collection_id, tag_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`,
      [collectionId, tagIds],
    );
  }

  /**
   * Runs an insert or update that may hit the slug's unique index. A generated slug is picked under the
   * transaction, but a concurrent create may take it first: that is reported as SLUG_TAKEN only when the caller
   * chose the slug; otherwise it is a conflict worth retrying.
   */
  private async insertOrSlugTaken<T>(givenSlug: string | undefined, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (!isUniqueViolation(error, 'collections_slug_key')) throw error;
      if (givenSlug !== undefined) {
        throw new DomainException('SLUG_TAKEN', 'Another collection already uses this slug', { slug: givenSlug });
      }
      throw new DomainException('CONFLICT', 'A collection with the same title was created at the same time; try again');
    }
  }

  private async freeSlug(runner: QueryRunner, base: string): Promise<string> {
    const taken = (await runner.query(`SELECT slug FROM collections WHERE slug = $1 OR slug LIKE $2`, [
      base,
      `${base}-%`,
    ])) as Array<{ slug: string }>;
    return firstFreeSlug(base, new Set(taken.map((row) => row.slug)));
  }
}
