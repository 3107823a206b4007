import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isAdmin, type AuthenticatedUser } from '../../auth/authenticated-user.js';
import { isUniqueViolation } from '../../common/errors/database-errors.js';
import { DomainException, ForbiddenException, NotFoundException } from '../../common/errors/domain.exception.js';
import { offsetOf, toPage, type Page } from '../../common/pagination.js';
import type { NamedListQueryDto } from '../dto/library.dto.js';
import type { CreateTagDto, UpdateTagDto } from '../dto/tags-collections.dto.js';
import { firstFreeSlug, slugify } from '../utils/slug.util.js';

export interface TagView {
  id: string;
  name: string;
  slug: string;
  color: string | null;
  description: string;
}

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
      // A rename refreshes the search text of every file with this tag (trigger `tags_search_refresh`).
      const [rows] = (await this.dataSource.query(
        `UPDATE tags SET ${sets.join(', ')} WHERE id = $1 RETURNING ${TAG_COLUMNS}`,
        values,
      )) as [TagView[], number];
      if (!rows[0]) throw new NotFoundException('Tag');
      return rows[0];
    } catch (error) {
      if (isUniqueViolation(error, 'tags_name_lower_key')) throw new TagExistsException(dto.name ?? tag.name);
      if (isUniqueViolation(error, 'tags_slug_key')) {
        throw new DomainException('SLUG_TAKEN', 'Another tag already uses this slug', { slug: dto.slug });
      }
      throw error;
    }
  }

  /** The tag goes; files and collections lose it (cascade), files' search text follows (trigger). */
  async remove(id: string, user: AuthenticatedUser): Promise<void> {
    await this.findManaged(id, user);
    await this.dataSource.query(`DELETE FROM tags WHERE id = $1`, [id]);
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
