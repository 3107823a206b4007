import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Readable } from 'node:stream';
import { DataSource, type QueryRunner } from 'typeorm';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import { isUniqueViolation } from '../../common/errors/database-errors.js';
import { ForbiddenException } from '../../common/errors/domain.exception.js';
import { toPage, type Page } from '../../common/pagination.js';
import { storageConfig } from '../../config/storage.config.js';
import { inTransaction } from '../../database/transactions.js';
import { ObjectStorage, type ByteRange } from '../../storage/object-storage.js';
import { ObjectNotFoundException } from '../../storage/storage.errors.js';
import { canManage, canRead, readableCondition } from '../access-policy.js';
import type { AccessLevel } from '../entities/columns.js';
import {
  MediaFileNotFoundException,
  SlugTakenException,
  UnknownCollectionsException,
  UnknownTagsException,
} from '../file-manager.errors.js';
import type { MediaFileListQueryDto, UpdateMediaFileDto } from '../dto/library.dto.js';
import { SqlParams } from '../../database/sql.js';
import { planSearch, type PrefixExpansions, type SearchWord, type TermsSearchPlan } from './library-search.js';
import { toMediaFileView, type MediaFileSource, type MediaFileView } from '../views.js';
import { parseRange, etagMatches } from '../utils/http-range.util.js';

/** The stored bytes of a readable, active media file. */
export interface MediaContent {
  id: string;
  objectKey: string;
  size: number;
  contentType: string;
  originalFilename: string;
  /** Strong validator: the content hash, quoted (RFC 9110). Same bytes, same ETag, on every instance. */
  etag: string;
}

export type ContentAnswer =
  | { kind: 'not-modified'; content: MediaContent }
  | { kind: 'unsatisfiable'; content: MediaContent }
  | { kind: 'bytes'; content: MediaContent; range?: ByteRange; body?: Readable };

export interface ContentConditions {
  range?: string;
  ifRange?: string;
  ifNoneMatch?: string;
  /** False for HEAD: the headers only, nothing read from storage, nothing counted. */
  withBody: boolean;
}

/** A prefix with more terms than this is read as one index range (see `searchWords`). */
const MAX_PREFIX_TERMS = 100;

/** Beyond this many term rows a page reads the whole match stream rather than a longer prefix of it. */
const MAX_STREAM_LIMIT = 50_000;

/**
 * Columns of a media file view, over `m` (media_files) and `u` (its uploader). Tags and collections as JSON, found
 * through the row's trigger-kept `tag_ids` / `collection_ids` (primary-key probes; the link tables would be a join
 * per row that the planner answers with a scan of the small tags table). Only the collections the caller may see
 * are listed: a file can be in a private collection of someone else.
 */
function viewColumns(params: SqlParams, user?: AuthenticatedUser): string {
  return `
  m.id, m.title, m.slug, m.description, m.original_filename AS "originalFilename", m.file_size AS "fileSize",
  m.content_type AS "contentType", m.file_type AS "fileType", m.hash, m.width, m.height,
  m.access_level AS "accessLevel", m.download_count AS "downloadCount", m.last_accessed_at AS "lastAccessedAt",
  m.created_by AS "createdById", u.email AS "createdByEmail", m.created_at AS "createdAt",
  m.updated_at AS "updatedAt", m.deleted_at AS "deletedAt",
  coalesce((SELECT json_agg(json_build_object('id', t.id, 'name', t.name, 'slug', t.slug) ORDER BY t.name)
              FROM tags t WHERE t.id = ANY(m.tag_ids)), '[]') AS tags,
  coalesce((SELECT json_agg(json_build_object('id', c.id, 'title', c.title, 'slug', c.slug) ORDER BY c.title)
              FROM collections c WHERE c.id = ANY(m.collection_ids) AND ${params.named(readableCondition(user, 'c'))}), '[]')
    AS collections`;
}

interface ViewRow extends Omit<MediaFileSource, 'fileSize' | 'downloadCount' | 'createdBy'> {
  fileSize: string;
  downloadCount: string;
  createdByEmail: string;
}

/**
 * The library as the frontend browses it: search, detail, metadata changes, downloads. Visibility by access
 * level is always part of the SQL (`readableCondition`), so counts and pages only ever contain what the caller
 * may see; a file the caller may not see is answered exactly like a missing one.
 */
@Injectable()
export class LibraryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly storage: ObjectStorage,
    @Inject(storageConfig.KEY) private readonly config: ConfigType<typeof storageConfig>,
  ) {}

  async search(query: MediaFileListQueryDto, user?: AuthenticatedUser): Promise<Page<MediaFileView>> {
    const { words, expansions } = query.q ? await this.searchWords(query.q) : { words: [], expansions: undefined };
    const plan = planSearch(query, words, user, expansions);
    // The count runs beside the page on a second connection: two cores count and rank at once.
    const count =
      plan.kind === 'media-rows' && words.length === 0 && this.summarisable(query)
        ? this.countFromSummary(query, user)
        : this.countMatches(plan.count.sql, plan.count.values);
    const columns = viewColumns(plan.params, user);
    const page =
      plan.kind === 'terms' ? this.termsPage(plan, columns) : this.hydrate(plan.pageSql, plan.pageOrder, columns, plan.params.values);
    const [rows, total] = await Promise.all([page, count]);
    return toPage(rows.map(toView), total, query);
  }

  /**
   * A page from the terms index: the first rows of the match stream, enough for the page when each file matches
   * once or twice (the usual case); read further when they were not (see `TermsSearchPlan`).
   */
  private async termsPage(plan: TermsSearchPlan, columns: string): Promise<ViewRow[]> {
    let streamLimit: number | undefined = plan.wanted * 2 + 20;
    for (;;) {
      const rows: Array<ViewRow & { streamed: string; files: string }> = await this.hydrate(
        plan.pageSql(streamLimit),
        plan.pageOrder,
        columns,
        plan.params.values,
      );
      const [first] = rows;
      if (streamLimit === undefined || (!first && plan.wanted === plan.pageSize)) return rows;
      if (first && (Number(first.files) >= plan.wanted || Number(first.streamed) < streamLimit)) return rows;
      // Too few files in this much of the stream, or an empty page that may lie past the last match: read further.
      streamLimit = first && streamLimit * 8 <= MAX_STREAM_LIMIT ? streamLimit * 8 : undefined;
    }
  }

  /** The page's media files, in the page's order. */
  private hydrate<Extra = object>(pageSql: string, pageOrder: string, columns: string, values: unknown[]): Promise<Array<ViewRow & Extra>> {
    return this.dataSource.query(
      `WITH page AS (${pageSql})
       SELECT ${columns}, page.*
         FROM page JOIN media_files m ON m.id = page.id JOIN users u ON u.id = m.created_by
        ORDER BY ${pageOrder}`,
      values,
    ) as Promise<Array<ViewRow & Extra>>;
  }

  private async countMatches(sql: string, values: unknown[]): Promise<number> {
    const [{ count }] = (await this.dataSource.query(sql, values)) as Array<{ count: string }>;
    return Number(count);
  }

  /** Without filters beyond file type and access level, the trigger-kept `media_file_counts` answers the count. */
  private summarisable(query: MediaFileListQueryDto): boolean {
    return (
      !query.tagIds?.length &&
      !query.collectionIds?.length &&
      !query.createdAfter &&
      !query.createdBefore &&
      query.minSize === undefined &&
      query.maxSize === undefined
    );
  }

  /** The number of visible active files from `media_file_counts` (a handful of rows) instead of row by row. */
  private async countFromSummary(query: MediaFileListQueryDto, user?: AuthenticatedUser): Promise<number> {
    const params = new SqlParams();
    const where = [params.named(readableCondition(user, 'c'))];
    if (query.fileType?.length) where.push(`c.file_type = ANY(${params.add(query.fileType)}::file_type[])`);
    if (query.accessLevel?.length) where.push(`c.access_level = ANY(${params.add(query.accessLevel)}::access_level[])`);
    const [{ count }] = (await this.dataSource.query(
      `SELECT coalesce(sum(c.active), 0) AS count FROM media_file_counts c WHERE ${where.join(' AND ')}`,
      params.values,
    )) as Array<{ count: string }>;
    return Number(count);
  }

  async get(id: string, user?: AuthenticatedUser): Promise<MediaFileView> {
    return this.findOne('m.id = $1', id, user);
  }

  async getBySlug(slug: string, user?: AuthenticatedUser): Promise<MediaFileView> {
    return this.findOne('m.slug = $1', slug, user);
  }

  /**
   * Changes metadata; `tagIds` and `collectionIds` replace the current sets. Unknown tags or collections (a
   * collection the caller may not see counts as unknown) refuse the whole change. Tags and collections are locked
   * (FOR SHARE) before the media row, the order a tag's deletion takes them in (tag, then the files it cascades to).
   * The slug stays what it is unless one is given: links to the file keep working after a title change.
   */
  async update(id: string, dto: UpdateMediaFileDto, user: AuthenticatedUser): Promise<MediaFileView> {
    await inTransaction(this.dataSource, async (runner) => {
      const tagIds = dto.tagIds && [...new Set(dto.tagIds)];
      const collectionIds = dto.collectionIds && [...new Set(dto.collectionIds)];
      if (tagIds?.length) {
        const found = (await runner.query(`SELECT id FROM tags WHERE id = ANY($1::uuid[]) ORDER BY id FOR SHARE`, [tagIds])) as Array<{ id: string }>;
        const missing = missingIds(tagIds, found);
        if (missing.length) throw new UnknownTagsException(missing);
      }
      if (collectionIds?.length) {
        const params = new SqlParams();
        const idsParam = params.add(collectionIds);
        const found = (await runner.query(
          `SELECT c.id FROM collections c WHERE c.id = ANY(${idsParam}::uuid[]) AND ${params.named(readableCondition(user, 'c'))} ORDER BY c.id FOR SHARE`,
          params.values,
        )) as Array<{ id: string }>;
        const missing = missingIds(collectionIds, found);
        if (missing.length) throw new UnknownCollectionsException(missing);
      }

      const [file] = (await runner.query(
        `SELECT access_level AS "accessLevel", created_by AS "createdById"
           FROM media_files WHERE id = $1 AND deleted_at IS NULL FOR UPDATE`,
        [id],
      )) as Array<{ accessLevel: AccessLevel; createdById: string }>;
      if (!file || !canRead(file, user)) throw new MediaFileNotFoundException();
      if (!canManage(file, user)) throw new ForbiddenException('Only the uploader or an admin may change this file');

      await this.updateColumns(runner, id, dto);
      if (tagIds) {
        await runner.query(`DELETE FROM media_file_tags WHERE media_file_id = $1 AND NOT (tag_id = ANY($2::uuid[]))`, [id, tagIds]);
        await runner.query(
          `INSERT INTO media_file_tags (media_file_id, tag_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`,
          [id, tagIds],
        );
      }
      if (collectionIds) {
        await runner.query(
          `DELETE FROM media_file_collections WHERE media_file_id = $1 AND NOT (collection_id = ANY($2::uuid[]))`,
          [id, collectionIds],
        );
        await runner.query(
          `INSERT INTO media_file_collections (media_file_id, collection_id) SELECT $1, unnest($2::uuid[])
           ON CONFLICT DO NOTHING`,
          [id, collectionIds],
        );
      }
    });
    return this.get(id, user);
  }

  /**
   * A short-lived signed URL for the file's bytes, answered by the object store itself with the original filename
   * and the file's content type. The download is counted when the URL is handed out.
   */
  async downloadUrl(id: string, inline: boolean, user?: AuthenticatedUser): Promise<string> {
    const content = await this.findContent(id, user);
    const url = await this.storage.presignedGetUrl(content.objectKey, {
      expirySeconds: this.config.presignExpirySeconds,
      filename: content.originalFilename,
      contentType: content.contentType,
      inline,
    });
    await this.countDownload(id);
    return url;
  }

  /**
   * The file's bytes under HTTP's conditional and range rules: `If-None-Match` with the current ETag answers
   * not-modified; a satisfiable single `Range` (honoured only when `If-Range` is absent or matches) answers part of
   * the bytes; an unsatisfiable one answers unsatisfiable; otherwise all of it. A read of the whole content (no
   * range, or a range covering every byte) counts as a download.
   */
  async content(id: string, conditions: ContentConditions, user?: AuthenticatedUser): Promise<ContentAnswer> {
    const content = await this.findContent(id, user);
    if (conditions.ifNoneMatch && etagMatches(conditions.ifNoneMatch, content.etag)) return { kind: 'not-modified', content };
    const rangeApplies = conditions.range !== undefined && (!conditions.ifRange || conditions.ifRange.trim() === content.etag);
    const range = rangeApplies ? parseRange(conditions.range!, content.size) : undefined;
    if (range === 'unsatisfiable') return { kind: 'unsatisfiable', content };
    if (!conditions.withBody) return { kind: 'bytes', content, range };
    const body = await this.storage.getStream(content.objectKey, range);
    if (!range || (range.start === 0 && range.end === content.size - 1)) await this.countDownload(id);
    return { kind: 'bytes', content, range, body };
  }

  /** One statement: parallel downloads each add one, none is lost. */
  private async countDownload(id: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE media_files SET download_count = download_count + 1, last_accessed_at = now()
        WHERE id = $1 AND deleted_at IS NULL`,
      [id],
    );
  }

  private async findContent(id: string, user?: AuthenticatedUser): Promise<MediaContent> {
    const params = new SqlParams();
    const idParam = params.add(id);
    const [row] = (await this.dataSource.query(
      `SELECT m.id, m.hash, m.file_size AS "size", m.content_type AS "contentType",
              m.original_filename AS "originalFilename", s.object_key AS "objectKey"
         FROM media_files m LEFT JOIN stored_objects s ON s.hash = m.hash
        WHERE m.id = ${idParam} AND m.deleted_at IS NULL AND ${params.named(readableCondition(user))}`,
      params.values,
    )) as Array<{ id: string; hash: string; size: string; contentType: string; originalFilename: string; objectKey: string | null }>;
    if (!row) throw new MediaFileNotFoundException();
    if (!row.objectKey) throw new ObjectNotFoundException();
    return {
      id: row.id,
      objectKey: row.objectKey,
      size: Number(row.size),
      contentType: row.contentType,
      originalFilename: row.originalFilename,
      etag: `"${row.hash}"`,
    };
  }

  private async findOne(match: string, value: string, user?: AuthenticatedUser): Promise<MediaFileView> {
    const params = new SqlParams();
    params.add(value);
    const [row] = (await this.dataSource.query(
      `SELECT ${viewColumns(params, user)} FROM media_files m JOIN users u ON u.id = m.created_by
        WHERE ${match} AND m.deleted_at IS NULL AND ${params.named(readableCondition(user))}`,
      params.values,
    )) as ViewRow[];
    if (!row) throw new MediaFileNotFoundException();
    return toView(row);
  }

  private async updateColumns(runner: QueryRunner, id: string, dto: UpdateMediaFileDto): Promise<void> {
    const params = new SqlParams();
    const idParam = params.add(id);
    const sets = ['updated_at = now()'];
    if (dto.title !== undefined) sets.push(`title = ${params.add(dto.title)}`);
    if (dto.slug !== undefined) sets.push(`slug = ${params.add(dto.slug)}`);
    if (dto.description !== undefined) sets.push(`description = ${params.add(dto.description)}`);
    if (dto.accessLevel !== undefined) sets.push(`access_level = ${params.add(dto.accessLevel)}`);
    try {
      await runner.query(`UPDATE media_files SET ${sets.join(', ')} WHERE id = ${idParam}`, params.values);
    } catch (error) {
      if (dto.slug !== undefined && isUniqueViolation(error, 'media_files_slug_key')) throw new SlugTakenException(dto.slug);
      throw error;
    }
  }

  /**
   * The words of `q`, each with the patterns that satisfy it: the word itself (as a word or the start of one), and,
   * when it is neither a word of the library nor the start of one (a typo, or the middle of a word), the library's
   * words most similar to it or containing it. Those come from the small `search_words` table through its trigram
   * index, so trigram matching never scans media rows. Known words are not widened: a typo tolerance that also
   * fired on correct words would bury the exact matches under neighbours. No words when `q` has no letter or digit.
   *
   * With them, the terms of the library each word starts (a prefix read term by term, see `PrefixExpansions`); a
   * prefix with more than MAX_PREFIX_TERMS of them is left a range.
   */
  private async searchWords(q: string): Promise<{ words: SearchWord[]; expansions: PrefixExpansions }> {
    const rows = (await this.dataSource.query(
      `WITH tokens AS (
         SELECT token, min(position) AS position
           FROM regexp_split_to_table(search_normalize($1), ' ') WITH ORDINALITY AS split (token, position)
          WHERE token <> '' GROUP BY token ORDER BY 2 LIMIT 10
       )
       SELECT t.token,
              CASE WHEN length(t.token) >= 3 AND t.token !~ '^[0-9]+$'
                        AND NOT EXISTS (SELECT 1 FROM search_words w WHERE w.word LIKE t.token || '%')
                   THEN ARRAY(
                          SELECT candidate.word FROM (
                            (SELECT nearest.word FROM (
                               SELECT w.word, w.word <-> t.token AS distance FROM search_words w
                                ORDER BY w.word <-> t.token LIMIT 5) nearest
                              WHERE nearest.distance <= 0.75)
                            UNION
                            (SELECT w.word FROM search_words w
                              WHERE w.word LIKE '%' || t.token || '%'
                              ORDER BY w.word <-> t.token LIMIT 5)
                          ) candidate
                          WHERE NOT starts_with(candidate.word, t.token)
                          ORDER BY candidate.word)
                   ELSE ARRAY[]::text[] END AS alternatives,
              -- The terms the word starts (for a prefix, length >= 2): a skip scan from one distinct term to the next.
              CASE WHEN length(t.token) >= 2 THEN ARRAY(
                WITH RECURSIVE expanded (term) AS (
                  SELECT first.term
                    FROM (SELECT s.term FROM media_search_terms s WHERE s.term >= t.token COLLATE "C" ORDER BY s.term LIMIT 1) first
                   WHERE first.term ^@ t.token
                  UNION ALL
                  SELECT next.term FROM expanded e
                   CROSS JOIN LATERAL (SELECT s.term FROM media_search_terms s WHERE s.term > e.term ORDER BY s.term LIMIT 1) next
                   WHERE next.term ^@ t.token
                )
                SELECT term FROM expanded LIMIT ${MAX_PREFIX_TERMS + 1}) END AS expansion
         FROM tokens t ORDER BY t.position`,
      [q],
    )) as Array<{ token: string; alternatives: string[]; expansion: string[] | null }>;
    return {
      words: rows.map(({ token, alternatives }) => [
        { text: token, prefix: token.length >= 2, factor: 3 },
        ...alternatives.map((word) => ({ text: word, prefix: false, factor: 1 })),
      ]),
      expansions: new Map(
        rows
          .filter((row) => row.expansion !== null)
          .map((row) => [row.token, row.expansion!.length > MAX_PREFIX_TERMS ? undefined : row.expansion!]),
      ),
    };
  }
}

function toView(row: ViewRow): MediaFileView {
  const { createdByEmail, fileSize, downloadCount, ...rest } = row;
  return toMediaFileView({
    ...rest,
    fileSize: Number(fileSize),
    downloadCount: Number(downloadCount),
    createdBy: { id: row.createdById, email: createdByEmail },
  });
}

function missingIds(wanted: string[], found: Array<{ id: string }>): string[] {
  const present = new Set(found.map((row) => row.id));
  return wanted.filter((id) => !present.has(id));
}
