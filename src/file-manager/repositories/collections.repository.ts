import { Injectable } from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import { SqlParams } from '../../database/sql.js';
import { readableCondition } from '../access-policy.js';
import type { AccessLevel } from '../entities/columns.js';
import { firstRow, missingIds, replaceTagLinks, rows, updateById } from './db.js';
import { likeContains } from './tags.repository.js';
import type { CollectionResponse } from '../dto/tag-collection.response.js';

/** What the API shows: the OpenAPI document's `CollectionResponse`. */
export type CollectionView = CollectionResponse;

export interface CollectionFields {
  title?: string;
  slug?: string;
  description?: string;
  accessLevel?: AccessLevel;
}

type CollectionRow = Omit<CollectionView, 'fileCount' | 'createdAt' | 'updatedAt'> & {
  fileCount: string;
  createdAt: Date;
  updatedAt: Date;
};

/** `collections` and `collection_tags`. Visibility follows `readableCondition` over `c`, like media files. */
@Injectable()
export class CollectionsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** A page of the collections the caller may see, by title, optionally those whose title contains `q`. */
  async list(
    q: string | undefined,
    page: { limit: number; offset: number },
    user?: AuthenticatedUser,
  ): Promise<{ views: CollectionView[]; total: number }> {
    const params = new SqlParams();
    const where = [params.named(readableCondition(user, 'c'))];
    if (q) where.push(`lower(c.title) LIKE ${params.add(likeContains(q))}`);
    const condition = where.join(' AND ');
    const countValues = [...params.values];
    const [views, [{ count }]] = await Promise.all([
      this.select(
        params,
        user,
        `${condition} ORDER BY lower(c.title), c.id LIMIT ${params.add(page.limit)} OFFSET ${params.add(page.offset)}`,
      ),
      rows<{ count: string }>(
        this.dataSource,
        `SELECT count(*) AS count FROM collections c WHERE ${condition}`,
        countValues,
      ),
    ]);
    return { views, total: Number(count) };
  }

  /** Of `ids`, those `user` may see. */
  async readableIds(ids: string[], user?: AuthenticatedUser): Promise<string[]> {
    const params = new SqlParams();
    const found = await rows<{ id: string }>(
      this.dataSource,
      `SELECT c.id FROM collections c
        WHERE c.id = ANY(${params.add(ids)}::uuid[]) AND ${params.named(readableCondition(user, 'c'))}`,
      params.values,
    );
    return found.map((row) => row.id);
  }

  async findReadable(id: string, user?: AuthenticatedUser): Promise<CollectionView | undefined> {
    const params = new SqlParams();
    const [view] = await this.select(
      params,
      user,
      `c.id = ${params.add(id)} AND ${params.named(readableCondition(user, 'c'))}`,
    );
    return view;
  }

  async insert(
    runner: QueryRunner,
    collection: CollectionFields & { title: string; slug: string },
    createdById: string,
  ): Promise<string> {
    const [created] = await rows<{ id: string }>(
      runner,
      `INSERT INTO collections (title, slug, description, access_level, created_by)
       VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [
        collection.title,
        collection.slug,
        collection.description ?? '',
        collection.accessLevel ?? 'members',
        createdById,
      ],
    );
    return created.id;
  }

  async update(runner: QueryRunner, id: string, fields: CollectionFields): Promise<void> {
    const { title, slug, description, accessLevel } = fields;
    await updateById(runner, 'collections', id, { title, slug, description, access_level: accessLevel });
  }

  /**
   * The collection FOR UPDATE, for a change (`createdById` null: its creator is gone); FOR SHARE with `shared`, for a
   * change of its files only (like a PATCH linking it), which a deletion or access change still waits for.
   */
  lock(
    runner: QueryRunner,
    id: string,
    options: { shared?: boolean } = {},
  ): Promise<{ accessLevel: AccessLevel; createdById: string | null } | undefined> {
    return firstRow(
      runner,
      `SELECT access_level AS "accessLevel", created_by AS "createdById" FROM collections WHERE id = $1
          FOR ${options.shared ? 'SHARE' : 'UPDATE'}`,
      [id],
    );
  }

  /** Puts the files in the collection; answers how many were not in it yet. */
  async addFiles(runner: QueryRunner, id: string, fileIds: string[]): Promise<number> {
    const added = await rows(
      runner,
      `INSERT INTO media_file_collections (media_file_id, collection_id) SELECT unnest($2::uuid[]), $1
       ON CONFLICT DO NOTHING RETURNING media_file_id`,
      [id, fileIds],
    );
    return added.length;
  }

  /** Takes the files out of the collection; answers how many were in it. */
  async removeFiles(runner: QueryRunner, id: string, fileIds: string[]): Promise<number> {
    const removed = await rows(
      runner,
      `DELETE FROM media_file_collections WHERE collection_id = $1 AND media_file_id = ANY($2::uuid[])
       RETURNING media_file_id`,
      [id, fileIds],
    );
    return removed.length;
  }

  async delete(runner: QueryRunner, id: string): Promise<void> {
    await runner.query(`DELETE FROM collections WHERE id = $1`, [id]);
  }

  /** The collection's tags become exactly `tagIds`. */
  replaceTags(runner: QueryRunner, id: string, tagIds: string[]): Promise<void> {
    return replaceTagLinks(runner, { table: 'collection_tags', owner: 'collection_id' }, id, tagIds);
  }

  /**
   * Locks the collections that exist FOR SHARE, in id order, so one deleted meanwhile can't be linked; answers the
   * ids that don't exist. With `visibleTo`, one that user may not see counts as not existing.
   */
  async lockShared(
    runner: QueryRunner,
    ids: string[],
    options: { visibleTo?: AuthenticatedUser } = {},
  ): Promise<string[]> {
    if (ids.length === 0) return [];
    const params = new SqlParams();
    const where = [`c.id = ANY(${params.add(ids)}::uuid[])`];
    if (options.visibleTo) where.push(params.named(readableCondition(options.visibleTo, 'c')));
    const found = await rows<{ id: string }>(
      runner,
      `SELECT c.id FROM collections c WHERE ${where.join(' AND ')} ORDER BY c.id FOR SHARE`,
      params.values,
    );
    return missingIds(ids, found);
  }

  private async select(
    params: SqlParams,
    user: AuthenticatedUser | undefined,
    whereAndRest: string,
  ): Promise<CollectionView[]> {
    // The file count's visibility parameters are added after the caller's, so both can share `params`.
    const readable = params.named(readableCondition(user, 'm'));
    const found = await rows<CollectionRow>(
      this.dataSource,
      `SELECT c.id, c.title, c.slug, c.description, c.access_level AS "accessLevel",
              c.created_at AS "createdAt", c.updated_at AS "updatedAt",
              coalesce((SELECT json_agg(json_build_object('id', t.id, 'name', t.name, 'slug', t.slug) ORDER BY t.name)
                          FROM collection_tags ct JOIN tags t ON t.id = ct.tag_id
                         WHERE ct.collection_id = c.id), '[]') AS tags,
              (SELECT count(*) FROM media_file_collections mc JOIN media_files m ON m.id = mc.media_file_id
                WHERE mc.collection_id = c.id AND m.deleted_at IS NULL AND ${readable}) AS "fileCount"
         FROM collections c
        WHERE ${whereAndRest}`,
      params.values,
    );
    return found.map((row) => ({
      ...row,
      fileCount: Number(row.fileCount),
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    }));
  }
}
