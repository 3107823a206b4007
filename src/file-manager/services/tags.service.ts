import { Injectable } from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';
import { isAdmin, type AuthenticatedUser } from '../../auth/authenticated-user.js';
import { isUniqueViolation } from '../../common/errors/database-errors.js';
import { DomainException, ForbiddenException, NotFoundException } from '../../common/errors/domain.exception.js';
import { offsetOf, toPage, type Page } from '../../common/pagination.js';
import { inTransaction } from '../../database/transactions.js';
import type { NamedListQueryDto } from '../dto/library.dto.js';
import type { CreateTagDto, UpdateTagDto } from '../dto/tags-collections.dto.js';
import { firstFreeSlug, slugify } from '../utils/slug.util.js';
import type { TagResponse } from '../dto/tag-collection.response.js';

export type TagView = TagResponse;

const TAG_COLUMNS = 'id, name, slug, color, description';

export class TagExistsException extends DomainException {
  constructor(name: string) {
    super('TAG_EXISTS', 'A tag with this name already exists', { name });
  }
}

/** `LIKE` matches `%` and `_` as wildcards; a user's text is matched literally. */
export function likeContains(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
}

/**
 * The tag row FOR UPDATE (a PATCH or approval linking it holds it FOR SHARE first, so no new file can get the tag
 * meanwhile), then every file linked to it FOR UPDATE in id order. False when the tag is gone.
 */
async function lockTagAndFiles(runner: QueryRunner, id: string): Promise<boolean> {
  const [tag] = (await runner.query(`SELECT id FROM tags WHERE id = $1 FOR UPDATE`, [id])) as Array<{ id: string }>;
  if (!tag) return false;
  await runner.query(
    `SELECT m.id FROM media_files m
      WHERE m.id IN (SELECT media_file_id FROM media_file_tags WHERE tag_id = $1)
      ORDER BY m.id FOR UPDATE OF m`,
    [id],
  );
  return true;
}

/**
 * Tags: anyone may read them (they carry no access level), any authenticated user may create one, the creator or
 * an admin may change or delete it. Names are unique case-insensitively (the `tags_name_lower_key` index decides,
 * so two instances creating the same name at once can't both succeed). Slugs are stable once given.
 */
@Injectable()
export class TagsService {
  constructor(private readonly dataSource: DataSource) {}

  async list(query: NamedListQueryDto): Promise<Page<TagView>> {
    const filter = query.q ? `WHERE lower(name) LIKE $1` : '';
    const filterParams = query.q ? [likeContains(query.q)] : [];
    const [rows, [{ count }]] = await Promise.all([
      this.dataSource.query(
        `SELECT ${TAG_COLUMNS} FROM tags ${filter} ORDER BY lower(name), id
          LIMIT $${filterParams.length + 1} OFFSET $${filterParams.length + 2}`,
        [...filterParams, query.pageSize, offsetOf(query)],
      ) as Promise<TagView[]>,
      this.dataSource.query(`SELECT count(*) AS count FROM tags ${filter}`, filterParams) as Promise<Array<{ count: string }>>,
    ]);
    return toPage(rows, Number(count), query);
  }

  async get(id: string): Promise<TagView> {
    const [tag] = (await this.dataSource.query(`SELECT ${TAG_COLUMNS} FROM tags WHERE id = $1`, [id])) as TagView[];
    if (!tag) throw new NotFoundException('Tag');
    return tag;
  }

  async create(dto: CreateTagDto, user: AuthenticatedUser): Promise<TagView> {
    const insert = (slug: string) =>
      this.dataSource.query(
        `INSERT INTO tags (name, slug, color, description, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING ${TAG_COLUMNS}`,
        [dto.name, slug, dto.color ?? null, dto.description ?? '', user.id],
      ) as Promise<TagView[]>;
    for (let attempt = 0; ; attempt += 1) {
      const slug = dto.slug ?? (await this.freeSlug(slugify(dto.name, 'tag')));
      try {
        const [tag] = await insert(slug);
        return tag;
      } catch (error) {
        if (isUniqueViolation(error, 'tags_name_lower_key')) throw new TagExistsException(dto.name);
        if (!isUniqueViolation(error, 'tags_slug_key')) throw error;
        if (dto.slug) throw new DomainException('SLUG_TAKEN', 'Another tag already uses this slug', { slug: dto.slug });
        // A generated slug taken by a concurrent create: pick the next free one.
        if (attempt >= 5) throw error;
      }
    }
  }

  async update(id: string, dto: UpdateTagDto, user: AuthenticatedUser): Promise<TagView> {
    const tag = await this.findManaged(id, user);
    const sets = ['updated_at = now()'];
    const values: unknown[] = [id];
    const set = (column: string, value: unknown) => {
      values.push(value);
      sets.push(`${column} = $${values.length}`);
    };
    if (dto.name !== undefined) set('name', dto.name);
    if (dto.slug !== undefined) set('slug', dto.slug);
    if (dto.color !== undefined) set('color', dto.color);
    if (dto.description !== undefined) set('description', dto.description);
    try {
      return await inTransaction(this.dataSource, async (runner) => {
        // A rename refreshes the search text of every file with this tag (trigger `tags_search_refresh`): the tag,
        // then its files in id order, like a deletion, so two renames or a rename and a PATCH never deadlock.
        if (dto.name !== undefined) await lockTagAndFiles(runner, id);
        const [rows] = (await runner.query(`UPDATE tags SET ${sets.join(', ')} WHERE id = $1 RETURNING ${TAG_COLUMNS}`, values)) as [
          TagView[],
          number,
        ];
        if (!rows[0]) throw new NotFoundException('Tag');
        return rows[0];
      });
    } catch (error) {
      if (isUniqueViolation(error, 'tags_name_lower_key')) throw new TagExistsException(dto.name ?? tag.name);
      if (isUniqueViolation(error, 'tags_slug_key')) {
        throw new DomainException('SLUG_TAKEN', 'Another tag already uses this slug', { slug: dto.slug });
      }
      throw error;
    }
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
      if (!(await lockTagAndFiles(runner, id))) throw new NotFoundException('Tag');
      await runner.query(`DELETE FROM tags WHERE id = $1`, [id]);
    });
  }

  private async findManaged(id: string, user: AuthenticatedUser): Promise<TagView> {
    const [tag] = (await this.dataSource.query(`SELECT ${TAG_COLUMNS}, created_by AS "createdById" FROM tags WHERE id = $1`, [
      id,
    ])) as Array<TagView & { createdById: string | null }>;
    if (!tag) throw new NotFoundException('Tag');
    if (!isAdmin(user) && tag.createdById !== user.id) {
      throw new ForbiddenException('Only the creator of this tag or an admin may change it');
    }
    const { createdById: _, ...view } = tag;
    return view;
  }

  private async freeSlug(base: string): Promise<string> {
    const taken = (await this.dataSource.query(`SELECT slug FROM tags WHERE slug = $1 OR slug LIKE $2`, [
      base,
      `${base}-%`,
    ])) as Array<{ slug: string }>;
    return firstFreeSlug(base, new Set(taken.map((row) => row.slug)));
  }
}
