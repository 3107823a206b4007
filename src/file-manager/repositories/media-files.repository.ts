import { Injectable } from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import { SqlParams } from '../../database/sql.js';
import { readableCondition } from '../access-policy.js';
import type { AccessLevel, FileType } from '../entities/columns.js';
import { insertWithSlug, MEDIA_FILE_SLUGS, nextFreeSlug } from './slugs.js';
import { firstRow, missingIds, onUniqueViolation, replaceTagLinks, rows, updateById } from './db.js';
import { SlugTakenException } from '../file-manager.errors.js';
import type { Metadata } from '../metadata.js';

/** Who may see and change a media file: what `canRead` and `canManage` need. */
export interface MediaFileAccess {
  accessLevel: AccessLevel;
  createdById: string;
}

/** A file locked for a change: who may change it, and the metadata a change of the annotation merges into. */
export interface LockedMediaFile extends MediaFileAccess {
  metadata: Metadata;
}

export interface NewMediaFile {
  title: string;
  /** Chosen by the approver; generated from `slugBase` otherwise. */
  slug?: string;
  slugBase: string;
  description: string;
  accessLevel: AccessLevel;
  metadata: Metadata;
}

export interface MediaFileChanges {
  title?: string;
  slug?: string;
  description?: string;
  accessLevel?: AccessLevel;
  metadata?: Metadata;
}

/** The facts of a content a media file is pointed at by a replacement. */
export interface NewContent {
  hash: string;
  size: number;
  contentType: string;
  fileType: FileType;
  width?: number | null;
  height?: number | null;
  originalFilename: string;
}

/** The stored bytes of an active media file the caller may read (`objectKey` null when the content row is gone). */
export interface MediaContentRow {
  id: string;
  hash: string;
  size: number;
  contentType: string;
  originalFilename: string;
  objectKey: string | null;
}

/** `media_files` and its link tables. Locks are row locks of the caller's transaction. */
@Injectable()
export class MediaFilesRepository {
  constructor(private readonly dataSource: DataSource) {}

  async hashOf(runner: QueryRunner, id: string): Promise<string | undefined> {
    return (await firstRow<{ hash: string }>(runner, `SELECT hash FROM media_files WHERE id = $1`, [id]))?.hash;
  }

  /** The active file FOR UPDATE with its content's hash, for a replacement of its content. */
  lockActiveContent(runner: QueryRunner, id: string): Promise<(MediaFileAccess & { hash: string }) | undefined> {
    return firstRow(
      runner,
      `SELECT hash, access_level AS "accessLevel", created_by AS "createdById"
         FROM media_files WHERE id = $1 AND deleted_at IS NULL FOR UPDATE`,
      [id],
    );
  }

  /** Points the file at other content (its facts with it) and counts the version up. */
  async replaceContent(runner: QueryRunner, id: string, content: NewContent): Promise<void> {
    await runner.query(
      `UPDATE media_files
          SET hash = $2, file_size = $3, content_type = $4, file_type = $5, width = $6, height = $7,
              original_filename = $8, version = version + 1, updated_at = now()
        WHERE id = $1`,
      [
        id,
        content.hash,
        content.size,
        content.contentType,
        content.fileType,
        content.width ?? null,
        content.height ?? null,
        content.originalFilename,
      ],
    );
  }

  /**
   * Points the file at a pending file's content (an approved replacement), with its facts, and counts the version up.
   */
  async replaceContentFromPending(runner: QueryRunner, id: string, pendingFileId: string): Promise<void> {
    await runner.query(
      `UPDATE media_files m
          SET hash = p.hash, file_size = p.file_size, content_type = p.content_type, file_type = p.file_type,
              width = p.width, height = p.height, original_filename = p.original_filename,
              version = m.version + 1, updated_at = now()
         FROM pending_files p
        WHERE m.id = $1 AND p.id = $2`,
      [id, pendingFileId],
    );
  }

  /**
   * Files (active or trashed) FOR UPDATE in id order, with their content: a replacement's target and the file holding
   * its new content, in the order a tag's or collection's deletion locks files in (so the two can't deadlock).
   */
  lockForReplacement(
    runner: QueryRunner,
    ids: string[],
  ): Promise<Array<{ id: string; hash: string; deletedAt: Date | null }>> {
    return rows(
      runner,
      `SELECT id, hash, deleted_at AS "deletedAt" FROM media_files WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
      [ids],
    );
  }

  /** The file of this content (at most one), active or trashed, without a lock (stable under the content lock). */
  async idWithHash(runner: QueryRunner, hash: string): Promise<string | undefined> {
    return (await firstRow<{ id: string }>(runner, `SELECT id FROM media_files WHERE hash = $1`, [hash]))?.id;
  }

  /** The file (active or trashed) FOR UPDATE, for a step of its life (restore, purge). */
  lockForLifecycle(
    runner: QueryRunner,
    id: string,
  ): Promise<{ createdById: string; deletedAt: Date | null } | undefined> {
    return firstRow(
      runner,
      `SELECT created_by AS "createdById", deleted_at AS "deletedAt" FROM media_files WHERE id = $1 FOR UPDATE`,
      [id],
    );
  }

  /** The active file FOR UPDATE, for a change of its metadata or a move to the trash. */
  lockActive(runner: QueryRunner, id: string): Promise<LockedMediaFile | undefined> {
    return firstRow(
      runner,
      `SELECT access_level AS "accessLevel", created_by AS "createdById", metadata
         FROM media_files WHERE id = $1 AND deleted_at IS NULL FOR UPDATE`,
      [id],
    );
  }

  /**
   * The active file FOR SHARE when the caller may read it: recording a usage conflicts with a move to the trash
   * (which holds the row FOR UPDATE), so the two can't both succeed.
   */
  async lockReadableShared(runner: QueryRunner, id: string, user?: AuthenticatedUser): Promise<boolean> {
    const params = new SqlParams();
    const found = await rows(
      runner,
      `SELECT m.id FROM media_files m
        WHERE m.id = ${params.add(id)} AND m.deleted_at IS NULL AND ${params.named(readableCondition(user))}
          FOR SHARE`,
      params.values,
    );
    return found.length > 0;
  }

  /**
   * The active files of `ids` the caller may read, FOR UPDATE in id order (the order a tag's or collection's deletion
   * takes them in); answers the ids that are missing, trashed or not theirs to see.
   */
  async lockReadable(runner: QueryRunner, ids: string[], user: AuthenticatedUser): Promise<string[]> {
    const params = new SqlParams();
    const found = await rows<{ id: string }>(
      runner,
      `SELECT m.id FROM media_files m
        WHERE m.id = ANY(${params.add(ids)}::uuid[]) AND m.deleted_at IS NULL
          AND ${params.named(readableCondition(user))}
        ORDER BY m.id FOR UPDATE`,
      params.values,
    );
    return missingIds(ids, found);
  }

  /** Who may see and change the active file (read without a lock: a check before work that is checked again). */
  accessOf(id: string): Promise<MediaFileAccess | undefined> {
    return firstRow(
      this.dataSource,
      `SELECT access_level AS "accessLevel", created_by AS "createdById"
         FROM media_files WHERE id = $1 AND deleted_at IS NULL`,
      [id],
    );
  }

  async isReadable(id: string, user?: AuthenticatedUser): Promise<boolean> {
    const params = new SqlParams();
    const found = await rows(
      this.dataSource,
      `SELECT m.id FROM media_files m
        WHERE m.id = ${params.add(id)} AND m.deleted_at IS NULL AND ${params.named(readableCondition(user))}`,
      params.values,
    );
    return found.length > 0;
  }

  /** The file of this content (at most one: `hash` is unique), active or trashed, FOR UPDATE. */
  lockWithHash(runner: QueryRunner, hash: string): Promise<{ id: string; deletedAt: Date | null } | undefined> {
    return firstRow(runner, `SELECT id, deleted_at AS "deletedAt" FROM media_files WHERE hash = $1 FOR UPDATE`, [hash]);
  }

  /**
   * Every file linked to the tag or in the collection, FOR UPDATE in id order (the order every change of links takes
   * them in), before the tag or collection changes or goes.
   */
  async lockLinkedTo(runner: QueryRunner, link: { tagId: string } | { collectionId: string }): Promise<void> {
    const [table, column, id] =
      'tagId' in link
        ? ['media_file_tags', 'tag_id', link.tagId]
        : ['media_file_collections', 'collection_id', link.collectionId];
    await runner.query(
      `SELECT m.id FROM media_files m
        WHERE m.id IN (SELECT media_file_id FROM ${table} WHERE ${column} = $1)
        ORDER BY m.id FOR UPDATE OF m`,
      [id],
    );
  }

  /** Whether a media file (active or trashed: the slug stays theirs) holds `slug`. */
  async slugTaken(slug: string): Promise<boolean> {
    return (await rows(this.dataSource, `SELECT 1 FROM media_files WHERE slug = $1`, [slug])).length > 0;
  }

  /** The slug an approval generating one from `base` would get now. */
  nextFreeSlug(base: string): Promise<string> {
    return nextFreeSlug(this.dataSource, MEDIA_FILE_SLUGS, base);
  }

  /** Ids of the files trashed at least `days` days ago, oldest first. */
  async trashedBefore(days: number): Promise<string[]> {
    const found = await rows<{ id: string }>(
      this.dataSource,
      `SELECT id FROM media_files WHERE deleted_at IS NOT NULL AND deleted_at <= now() - make_interval(days => $1)
        ORDER BY deleted_at`,
      [days],
    );
    return found.map((row) => row.id);
  }

  /** For each hash: `exists` (active media file), `trashed`, `pending` (awaiting moderation) or `new`. */
  contentStatuses(
    hashes: string[],
  ): Promise<Array<{ hash: string; status: 'new' | 'pending' | 'exists' | 'trashed' }>> {
    return rows(
      this.dataSource,
      `SELECT h.hash,
              CASE WHEN m.deleted_at IS NULL AND m.id IS NOT NULL THEN 'exists'
                   WHEN m.id IS NOT NULL THEN 'trashed'
                   WHEN p.id IS NOT NULL THEN 'pending'
                   ELSE 'new' END AS status
         FROM unnest($1::text[]) AS h(hash)
         LEFT JOIN media_files m ON m.hash = h.hash
         LEFT JOIN pending_files p ON p.hash = h.hash AND p.status = 'pending'`,
      [hashes],
    );
  }

  /** The content of an active file the caller may read. */
  async findReadableContent(id: string, user?: AuthenticatedUser): Promise<MediaContentRow | undefined> {
    const params = new SqlParams();
    const idParam = params.add(id);
    const row = await firstRow<Omit<MediaContentRow, 'size'> & { size: string }>(
      this.dataSource,
      `SELECT m.id, m.hash, m.file_size AS "size", m.content_type AS "contentType",
              m.original_filename AS "originalFilename", s.object_key AS "objectKey"
         FROM media_files m LEFT JOIN stored_objects s ON s.hash = m.hash
        WHERE m.id = ${idParam} AND m.deleted_at IS NULL AND ${params.named(readableCondition(user))}`,
      params.values,
    );
    return row && { ...row, size: Number(row.size) };
  }

  /** One statement: parallel downloads each add one, none is lost. */
  async countDownload(id: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE media_files SET download_count = download_count + 1, last_accessed_at = now()
        WHERE id = $1 AND deleted_at IS NULL`,
      [id],
    );
  }

  /** Creates the media file of an approved pending file, copying the pending file's facts. */
  insertFromPending(runner: QueryRunner, pendingFileId: string, file: NewMediaFile): Promise<string> {
    return insertWithSlug(runner, MEDIA_FILE_SLUGS, { given: file.slug, base: file.slugBase }, async (slug) => {
      const [row] = await rows<{ id: string }>(
        runner,
        `INSERT INTO media_files (hash, title, slug, description, original_filename, file_size, content_type,
                                  file_type, width, height, access_level, metadata, created_by)
         SELECT p.hash, $2, $3, $4, p.original_filename, p.file_size, p.content_type, p.file_type, p.width, p.height,
                $5, $6::jsonb, p.uploaded_by
           FROM pending_files p WHERE p.id = $1
         RETURNING id`,
        [pendingFileId, file.title, slug, file.description, file.accessLevel, JSON.stringify(file.metadata)],
      );
      return row.id;
    });
  }

  async update(runner: QueryRunner, id: string, changes: MediaFileChanges): Promise<void> {
    const columns = {
      title: changes.title,
      slug: changes.slug,
      description: changes.description,
      access_level: changes.accessLevel,
      metadata: changes.metadata && JSON.stringify(changes.metadata),
    };
    await onUniqueViolation(
      'media_files_slug_key',
      () => updateById(runner, 'media_files', id, columns),
      () => new SlugTakenException('media file', changes.slug),
    );
  }

  async moveToTrash(runner: QueryRunner, id: string, userId: string): Promise<void> {
    await runner.query(`UPDATE media_files SET deleted_at = now(), deleted_by = $2, updated_at = now() WHERE id = $1`, [
      id,
      userId,
    ]);
  }

  async restore(runner: QueryRunner, id: string): Promise<void> {
    await runner.query(
      `UPDATE media_files SET deleted_at = NULL, deleted_by = NULL, updated_at = now() WHERE id = $1`,
      [id],
    );
  }

  /** Deletes the row for good; its links and usages go with it (cascade). */
  async delete(runner: QueryRunner, id: string): Promise<void> {
    await runner.query(`DELETE FROM media_files WHERE id = $1`, [id]);
  }

  /** Links a new file to its tags and collections. */
  async link(runner: QueryRunner, id: string, tagIds: string[], collectionIds: string[]): Promise<void> {
    if (tagIds.length) {
      await runner.query(`INSERT INTO media_file_tags (media_file_id, tag_id) SELECT $1, unnest($2::uuid[])`, [
        id,
        tagIds,
      ]);
    }
    if (collectionIds.length) {
      await runner.query(
        `INSERT INTO media_file_collections (media_file_id, collection_id) SELECT $1, unnest($2::uuid[])`,
        [id, collectionIds],
      );
    }
  }

  /** Links the file to the tags or collections it is not linked to yet. */
  async addLinks(runner: QueryRunner, id: string, links: { tagIds: string[] } | { collectionIds: string[] }) {
    const [table, column, ids] =
      'tagIds' in links
        ? ['media_file_tags', 'tag_id', links.tagIds]
        : ['media_file_collections', 'collection_id', links.collectionIds];
    await runner.query(
      `INSERT INTO ${table} (media_file_id, ${column}) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`,
      [id, ids],
    );
  }

  /** Unlinks the file from these tags or collections (those it is not linked to are no error). */
  async removeLinks(runner: QueryRunner, id: string, links: { tagIds: string[] } | { collectionIds: string[] }) {
    const [table, column, ids] =
      'tagIds' in links
        ? ['media_file_tags', 'tag_id', links.tagIds]
        : ['media_file_collections', 'collection_id', links.collectionIds];
    await runner.query(`DELETE FROM ${table} WHERE media_file_id = $1 AND ${column} = ANY($2::uuid[])`, [id, ids]);
  }

  /** The file's tags become exactly `tagIds`. */
  replaceTags(runner: QueryRunner, id: string, tagIds: string[]): Promise<void> {
    return replaceTagLinks(runner, { table: 'media_file_tags', owner: 'media_file_id' }, id, tagIds);
  }

  /**
   * The file's collections that `user` may see become exactly `collectionIds`; the ones they may not see (another
   * member's private collection) stay: a change can't remove what its author can't see.
   */
  async replaceVisibleCollections(
    runner: QueryRunner,
    id: string,
    collectionIds: string[],
    user: AuthenticatedUser,
  ): Promise<void> {
    const params = new SqlParams();
    const idParam = params.add(id);
    const idsParam = params.add(collectionIds);
    await runner.query(
      `DELETE FROM media_file_collections mc USING collections c
        WHERE mc.media_file_id = ${idParam} AND NOT (mc.collection_id = ANY(${idsParam}::uuid[]))
          AND c.id = mc.collection_id AND ${params.named(readableCondition(user, 'c'))}`,
      params.values,
    );
    await runner.query(
      `INSERT INTO media_file_collections (media_file_id, collection_id) SELECT $1, unnest($2::uuid[])
       ON CONFLICT DO NOTHING`,
      [id, collectionIds],
    );
  }
}
