import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isAdmin, type AuthenticatedUser } from '../../auth/authenticated-user.js';
import { userRefFor } from '../../auth/user-ref.js';
import { SqlParams } from '../../database/sql.js';
import { readableCondition } from '../access-policy.js';
import { RenditionsService, type ContentRenditions } from '../../renditions/renditions.service.js';
import { MediaUrlSigner, type MediaUrlKind } from '../media-urls/media-url-signer.js';
import {
  renditionFields,
  toMediaFileView,
  toPendingFileView,
  type MediaFileSource,
  type MediaFileView,
  type MediaUrls,
  type PendingFileView,
} from '../views.js';
import { firstRow, rows, type Db } from './db.js';
import type { PendingFileRecord } from './pending-files.repository.js';

/** A media file view as one SQL row (`toView` makes the view of it, with its signed URLs). */
export interface MediaFileViewRow extends Omit<MediaFileSource, 'fileSize' | 'downloadCount' | 'createdBy'> {
  fileSize: string;
  downloadCount: string;
  createdByEmail: string;
  createdByName: string;
}

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
  m.access_level AS "accessLevel", m.metadata, m.version, m.download_count AS "downloadCount",
  m.last_accessed_at AS "lastAccessedAt",
  m.created_by AS "createdById", u.email AS "createdByEmail", u.name AS "createdByName", m.created_at AS "createdAt",
  m.updated_at AS "updatedAt", m.deleted_at AS "deletedAt",
  coalesce((SELECT json_agg(json_build_object('id', t.id, 'name', t.name, 'slug', t.slug) ORDER BY t.name)
              FROM tags t WHERE t.id = ANY(m.tag_ids)), '[]') AS tags,
  coalesce((SELECT json_agg(json_build_object('id', c.id, 'title', c.title, 'slug', c.slug) ORDER BY c.title)
              FROM collections c
             WHERE c.id = ANY(m.collection_ids) AND ${params.named(readableCondition(user, 'c'))}), '[]')
    AS collections`;
}

/**
 * The one way a media file view is made: a row of `viewColumns`, as the contract shapes it for `user` (the
 * uploader's e-mail and the content's GPS position only for admins and the uploader), with `state`, its content's
 * renditions (`RenditionsService.statusFor`, read once per page).
 */
export function toView(
  row: MediaFileViewRow,
  user: AuthenticatedUser | undefined,
  signer: MediaUrlSigner,
  state: ContentRenditions | undefined,
): MediaFileView {
  const { createdByEmail, createdByName, fileSize, downloadCount, ...rest } = row;
  const own = isAdmin(user) || user?.id === row.createdById;
  return toMediaFileView(
    {
      ...rest,
      fileSize: Number(fileSize),
      downloadCount: Number(downloadCount),
      createdBy: userRefFor({ id: row.createdById, name: createdByName, email: createdByEmail }, user),
    },
    // A trashed file's rendition URLs would not open (media URLs serve active files only): none, so a list of the
    // trash shows placeholders instead of broken pictures.
    urlsOf(signer, 'files', row, user, row.deletedAt ? undefined : state),
    renditionFields(state, { gps: own, failureReason: isAdmin(user) }),
  );
}

/** The signed URLs of a record: its content, and each rendition its content has. */
function urlsOf(
  signer: MediaUrlSigner,
  kind: MediaUrlKind,
  record: { id: string; hash: string },
  user: AuthenticatedUser | undefined,
  state: ContentRenditions | undefined,
): MediaUrls {
  const rendition = (name: 'thumbnail' | 'preview') =>
    state?.[name] ? { [name]: signer.renditionUrl(kind, record.id, record.hash, name, user) } : {};
  return {
    content: signer.contentUrl(kind, record.id, record.hash, user),
    ...rendition('thumbnail'),
    ...rendition('preview'),
  };
}

/**
 * Media file views, every one built from `viewColumns` as `user` sees it (collections they may not see are never
 * listed), whichever answer carries it: search, detail, a change, the trash, a restore, an approval, an upload.
 */
@Injectable()
export class MediaFileViewsRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly signer: MediaUrlSigner,
    private readonly renditions: RenditionsService,
  ) {}

  /**
   * The views of rows of `viewColumns` (a search page's), for `user`: one read of their renditions for all (in `db`'s
   * transaction when given: a view read under a transaction's locks must not wait for a second pool connection).
   */
  async views(found: MediaFileViewRow[], user: AuthenticatedUser | undefined, db?: Db): Promise<MediaFileView[]> {
    const states = await this.renditions.statusFor(
      found.map((row) => row.hash),
      db,
    );
    return found.map((row) => toView(row, user, this.signer, states.get(row.hash)));
  }

  /**
   * Pending files' views, for `user` (their uploader or an admin: nobody else sees pending files, so the GPS
   * position of the content, which every uploader of it holds anyway, is shown).
   */
  async pendingViews(files: PendingFileRecord[], user: AuthenticatedUser): Promise<PendingFileView[]> {
    const states = await this.renditions.statusFor(files.map((file) => file.hash));
    return files.map((file) => {
      const state = states.get(file.hash);
      return toPendingFileView(
        file,
        user,
        urlsOf(this.signer, 'pending', file, user, state),
        renditionFields(state, { gps: true, failureReason: isAdmin(user) }),
      );
    });
  }

  async pendingView(file: PendingFileRecord, user: AuthenticatedUser): Promise<PendingFileView> {
    const [view] = await this.pendingViews([file], user);
    return view;
  }

  /** The active file by id or slug, when the caller may read it (in `db`'s transaction when given). */
  async findReadable(
    by: { id: string } | { slug: string },
    user?: AuthenticatedUser,
    db: Db = this.dataSource,
  ): Promise<MediaFileView | undefined> {
    const params = new SqlParams();
    const match = 'id' in by ? `m.id = ${params.add(by.id)}` : `m.slug = ${params.add(by.slug)}`;
    const row = await firstRow<MediaFileViewRow>(
      db,
      `SELECT ${viewColumns(params, user)} FROM media_files m JOIN users u ON u.id = m.created_by
        WHERE ${match} AND m.deleted_at IS NULL AND ${params.named(readableCondition(user))}`,
      params.values,
    );
    return row && (await this.views([row], user, db))[0];
  }

  /**
   * Active files by id, in the order of `ids`, as `user` sees them. With `readableOnly`, files the caller may not
   * read are left out; without it, the caller's right to the files was checked already (their uploader restoring a
   * staff file, an admin approving one). In `db`'s transaction when given.
   */
  async findActive(
    ids: string[],
    user: AuthenticatedUser,
    options: { readableOnly: boolean },
    db: Db = this.dataSource,
  ): Promise<MediaFileView[]> {
    if (ids.length === 0) return [];
    const params = new SqlParams();
    const idsParam = params.add(ids);
    const columns = viewColumns(params, user);
    const readable = options.readableOnly ? `AND ${params.named(readableCondition(user))}` : '';
    const found = await rows<MediaFileViewRow>(
      db,
      `SELECT ${columns} FROM media_files m JOIN users u ON u.id = m.created_by
        WHERE m.id = ANY(${idsParam}::uuid[]) AND m.deleted_at IS NULL ${readable}`,
      params.values,
    );
    const views = await this.views(found, user, db);
    const byId = new Map(views.map((view) => [view.id, view]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  /** A page of trashed files, most recently trashed first: the member's own (`ownerId`), or every one. */
  async listTrashed(
    page: { limit: number; offset: number },
    user: AuthenticatedUser,
    ownerId: string | undefined,
  ): Promise<{ views: MediaFileView[]; total: number }> {
    const params = new SqlParams();
    const where = ['m.deleted_at IS NOT NULL'];
    if (ownerId !== undefined) where.push(`m.created_by = ${params.add(ownerId)}`);
    const condition = where.join(' AND ');
    const countValues = [...params.values];
    const [found, [{ count }]] = await Promise.all([
      rows<MediaFileViewRow>(
        this.dataSource,
        `SELECT ${viewColumns(params, user)} FROM media_files m JOIN users u ON u.id = m.created_by
          WHERE ${condition} ORDER BY m.deleted_at DESC, m.id DESC
          LIMIT ${params.add(page.limit)} OFFSET ${params.add(page.offset)}`,
        params.values,
      ),
      rows<{ count: string }>(
        this.dataSource,
        `SELECT count(*) AS count FROM media_files m WHERE ${condition}`,
        countValues,
      ),
    ]);
    return { views: await this.views(found, user), total: Number(count) };
  }

  /**
   * Reads search pages in `params`' statement space: the view's columns are planned once, their parameters added to
   * `params` after the plan's own. Each call answers the views of a page, in its order: `sql` selects the page's
   * `id`s and sort keys (and any extra columns, answered beside the view's); `order` orders `page`.
   */
  pageReader(
    params: SqlParams,
    user?: AuthenticatedUser,
  ): <Extra extends object = object>(sql: string, order: string) => Promise<Array<MediaFileViewRow & Extra>> {
    const columns = viewColumns(params, user);
    return (sql, order) =>
      rows(
        this.dataSource,
        `WITH page AS (${sql})
       SELECT ${columns}, page.*
         FROM page JOIN media_files m ON m.id = page.id JOIN users u ON u.id = m.created_by
        ORDER BY ${order}`,
        params.values,
      );
  }
}
