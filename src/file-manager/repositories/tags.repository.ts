import { Injectable } from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import { SqlParams } from '../../database/sql.js';
import { readableCondition } from '../access-policy.js';
import { firstRow, missingIds, rows, updateById } from './db.js';

export interface TagRow {
  id: string;
  name: string;
  slug: string;
  color: string | null;
  description: string;
}

/** A tag as the contract shows it: `fileCount` counts the active files carrying it that the caller may see. */
export interface TagView extends TagRow {
  fileCount: number;
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
    user?: AuthenticatedUser,
  ): Promise<{ tags: TagView[]; total: number }> {
    const params = new SqlParams();
    const filter = q ? `lower(t.name) LIKE ${params.add(likeContains(q))}` : 'TRUE';
    const countValues = [...params.values];
    const [tags, [{ count }]] = await Promise.all([
      this.select(
        params,
        user,
        `${filter} ORDER BY lower(t.name), t.id LIMIT ${params.add(page.limit)} OFFSET ${params.add(page.offset)}`,
      ),
      rows<{ count: string }>(this.dataSource, `SELECT count(*) AS count FROM tags t WHERE ${filter}`, countValues),
    ]);
    return { tags, total: Number(count) };
  }

  async find(id: string, user?: AuthenticatedUser): Promise<TagView | undefined> {
    const params = new SqlParams();
    const [tag] = await this.select(params, user, `t.id = ${params.add(id)}`);
    return tag;
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

  /** The tags that exist of `ids`, FOR UPDATE in id order; answers the ids found. */
  async lockAll(runner: QueryRunner, ids: string[]): Promise<string[]> {
    const found = await rows<{ id: string }>(
      runner,
      `SELECT id FROM tags WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
      [ids],
    );
    return found.map((row) => row.id);
  }

  /** Every file and collection carrying `fromId` carries `toId` too (once: links already there stay as they are). */
  async copyLinks(runner: QueryRunner, fromId: string, toId: string): Promise<void> {
    await runner.query(
      `INSERT INTO media_file_tags (media_file_id, tag_id)
       SELECT media_file_id, $2 FROM media_file_tags WHERE tag_id = $1 ORDER BY media_file_id
       ON CONFLICT DO NOTHING`,
      [fromId, toId],
    );
    await runner.query(
      `INSERT INTO collection_tags (collection_id, tag_id)
       SELECT collection_id, $2 FROM collection_tags WHERE tag_id = $1 ORDER BY collection_id
       ON CONFLICT DO NOTHING`,
      [fromId, toId],
    );
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

  private async select(
    params: SqlParams,
    user: AuthenticatedUser | undefined,
    whereAndRest: string,
  ): Promise<TagView[]> {
    // The count's visibility parameters come after the caller's, so both share `params`.
    const readable = params.named(readableCondition(user, 'm'));
    const found = await rows<TagRow & { fileCount: string }>(
      this.dataSource,
      `SELECT t.id, t.name, t.slug, t.color, t.description,
              (SELECT count(*) FROM media_file_tags mt JOIN media_files m ON m.id = mt.media_file_id
                WHERE mt.tag_id = t.id AND m.deleted_at IS NULL AND ${readable}) AS "fileCount"
         FROM tags t
        WHERE ${whereAndRest}`,
      params.values,
    );
    return found.map((row) => ({ ...row, fileCount: Number(row.fileCount) }));
  }
}
