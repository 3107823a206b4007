import { Injectable } from '@nestjs/common';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import type { BulkAction, BulkFilesDto } from '../dto/library.dto.js';
import { itemError, type ItemError } from './bulk-items.js';
import { MediaFileUpdatesService, type MediaFileEdit } from './media-file-updates.service.js';
import { TrashService } from './trash.service.js';

export interface BulkFilesResult {
  results: Array<{ id: string; status: 'ok' | 'error'; error?: ItemError }>;
  summary: { total: number; ok: number; errors: number };
}

/**
 * `POST /api/files/bulk`: one action on many files, each item done by the single-file operation it stands for
 * (PATCH, trash, restore), so it is authorized and locked exactly like that request: one short transaction per
 * file, which never holds two media rows, so a bulk edit can't deadlock with single-file edits or another bulk
 * edit. Files are done in id order (the order tag and collection deletions lock them in); the answer lists them in
 * the order asked (each id once). A failing item is reported and the others go on.
 */
@Injectable()
export class MediaFileBulkService {
  constructor(
    private readonly updates: MediaFileUpdatesService,
    private readonly trash: TrashService,
  ) {}

  async run(dto: BulkFilesDto, user: AuthenticatedUser): Promise<BulkFilesResult> {
    const ids = [...new Set(dto.ids)];
    const outcomes = new Map<string, BulkFilesResult['results'][number]>();
    for (const id of [...ids].sort()) {
      try {
        await this.apply(id, dto, user);
        outcomes.set(id, { id, status: 'ok' });
      } catch (error) {
        outcomes.set(id, { id, status: 'error', error: itemError(error) });
      }
    }
    const results = ids.map((id) => outcomes.get(id)!);
    const ok = results.filter((result) => result.status === 'ok').length;
    return { results, summary: { total: results.length, ok, errors: results.length - ok } };
  }

  private async apply(id: string, dto: BulkFilesDto, user: AuthenticatedUser): Promise<void> {
    if (dto.action === 'trash') return this.trash.moveToTrash(id, user);
    if (dto.action === 'restore') {
      await this.trash.restore(id, user);
      return;
    }
    await this.updates.change(id, edit(dto.action, dto), user);
  }
}

function edit(action: Exclude<BulkAction, 'trash' | 'restore'>, dto: BulkFilesDto): MediaFileEdit {
  switch (action) {
    case 'addTags':
      return { addTagIds: dto.tagIds };
    case 'removeTags':
      return { removeTagIds: dto.tagIds };
    case 'setTags':
      return { tagIds: dto.tagIds };
    case 'addToCollections':
      return { addCollectionIds: dto.collectionIds };
    case 'removeFromCollections':
      return { removeCollectionIds: dto.collectionIds };
    case 'setAccessLevel':
      return { accessLevel: dto.accessLevel };
  }
}
