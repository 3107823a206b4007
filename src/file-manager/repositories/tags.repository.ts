import { Injectable } from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';
import { firstRow, missingIds, rows, updateById } from './db.js';

export interface TagRow {
  id: string;
  name: string;
  slug: string;
  color: string | null;
  description: string;
}

export interface TagFields {
  name?: string;
  slug?: string;
  color?: string | null;
  description?: string;
}

const TAG_COLUMNS = 'id, name, slug, color, description';

/** `LIKE` matches `%` and `_` as wildcards; a user's text is matched literally. */
export function likeContains(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
}

/** `tags`. Every change that links tags takes them FOR SHARE first (`lockShared`). */
@Injectable()
export class TagsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** A page of tags by name, optionally those whose name contains `q`, and how many there are. */
  async list(
    q: string | undefined,
    page: { limit: number; offset: number },
  ): Promise<{ tags: TagRow[]; total: number }> {
    const filter = q ? `WHERE lower(name) LIKE $1` : '';
    const filterParams = q ? [likeContains(q)] : [];
    const [tags, [{ count }]] = await Promise.all([
      rows<TagRow>(
        this.dataSource,
        `SELECT ${TAG_COLUMNS} FROM tags ${filter} ORDER BY lower(name), id
          LIMIT $${filterParams.length + 1} OFFSET $${filterParams.length + 2}`,
        [...filterParams, page.limit, page.offset],
      ),
      rows<{ count: string }>(this.dataSource, `SELECT count(*) AS count FROM tags ${filter}`, filterParams),
    ]);
    return { tags, total: Number(count) };
  }

  find(id: string): Promise<TagRow | undefined> {
    return firstRow(this.dataSource, `SELECT ${TAG_COLUMNS} FROM tags WHERE id = $1`, [id]);
  }

  findWithCreator(id: string): Promise<(TagRow & { createdById: string | null }) | undefined> {
    return firstRow(this.dataSource, `SELECT ${TAG_COLUMNS}, created_by AS "createdById" FROM tags WHERE id = $1`, [
      id,
    ]);
  }

  async insert(
    runner: QueryRunner,
    tag: TagFields & { name: string; slug: string },
    createdById: string,
  ): Promise<TagRow> {
    const [created] = await rows<TagRow>(
      runner,
      `INSERT INTO tags (name, slug, color, description, created_by) VALUES ($1, $2, $3, $4, $5)
       RETURNING ${TAG_COLUMNS}`,
      [tag.name, tag.slug, tag.color ?? null, tag.description ?? '', createdById],
    );
    return created;
  }

  /** Changes the given fields; undefined when the tag is gone. */
  update(runner: QueryRunner, id: string, fields: TagFields): Promise<TagRow | undefined> {
    const { name, slug, color, description } = fields;
    return updateById<TagRow>(runner, 'tags', id, { name, slug, color, description }, TAG_COLUMNS);
  }

  /** The tag FOR UPDATE; false when it is gone. */
  async lock(runner: QueryRunner, id: string): Promise<boolean> {
    return (await rows(runner, `SELECT id FROM tags WHERE id = $1 FOR UPDATE`, [id])).length > 0;
  }

  async delete(runner: QueryRunner, id: string): Promise<void> {
    await runner.query(`DELETE FROM tags WHERE id = $1`, [id]);
  }

  /**
   * Locks the tags that exist FOR SHARE, always in id order (two transactions locking overlapping sets in different
   * orders could deadlock), so a tag deleted meanwhile can't be linked; answers the ids that don't exist.
   */
  async lockShared(runner: QueryRunner, ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const found = await rows<{ id: string }>(
      runner,
      `SELECT id FROM tags WHERE id = ANY($1::uuid[]) ORDER BY id FOR SHARE`,
      [ids],
    );
    return missingIds(ids, found);
  }
}
