import type { QueryRunner } from 'typeorm';
import { isUniqueViolation } from '../../common/errors/database-errors.js';
import { SlugTakenException, type SlugOwner } from '../file-manager.errors.js';
import { firstFreeSlug } from '../utils/slug.util.js';
import { onUniqueViolation, rows, type Db } from './db.js';

/** A table with a unique `slug` column: its name, the unique constraint, and what its rows are called in errors. */
export interface SlugTable {
  table: 'media_files' | 'tags' | 'collections';
  constraint: string;
  owner: SlugOwner;
}

export const MEDIA_FILE_SLUGS: SlugTable = {
  table: 'media_files',
  constraint: 'media_files_slug_key',
  owner: 'media file',
};
export const TAG_SLUGS: SlugTable = { table: 'tags', constraint: 'tags_slug_key', owner: 'tag' };
export const COLLECTION_SLUGS: SlugTable = {
  table: 'collections',
  constraint: 'collections_slug_key',
  owner: 'collection',
};

const MAX_ATTEMPTS = 6;

/**
 * Inserts a row under a slug, inside the caller's transaction. A slug the caller chose that is taken answers
 * SLUG_TAKEN. A generated one is the first free `base`, `base-2`, …; when a concurrent insert takes it first, the
 * insert is retried with the next free one inside a savepoint, so the transaction itself never aborts.
 */
export async function insertWithSlug<T>(
  runner: QueryRunner,
  target: SlugTable,
  slug: { given?: string; base: string },
  insert: (slug: string) => Promise<T>,
): Promise<T> {
  const { given } = slug;
  if (given !== undefined)
    return onUniqueViolation(
      target.constraint,
      () => insert(given),
      () => new SlugTakenException(target.owner, given),
    );
  for (let attempt = 1; ; attempt += 1) {
    const free = firstFreeSlug(slug.base, new Set(await takenSlugs(runner, target, slug.base)));
    await runner.query('SAVEPOINT slug_allocation');
    try {
      const inserted = await insert(free);
      await runner.query('RELEASE SAVEPOINT slug_allocation');
      return inserted;
    } catch (error) {
      if (!isUniqueViolation(error, target.constraint) || attempt >= MAX_ATTEMPTS) throw error;
      await runner.query('ROLLBACK TO SAVEPOINT slug_allocation');
    }
  }
}

/** The slugs `base` and `base-…` already in use (slugs are `a-z0-9-`, so `base` holds no LIKE wildcard). */
async function takenSlugs(db: Db, target: SlugTable, base: string): Promise<string[]> {
  const found = await rows<{ slug: string }>(db, `SELECT slug FROM ${target.table} WHERE slug = $1 OR slug LIKE $2`, [
    base,
    `${base}-%`,
  ]);
  return found.map((row) => row.slug);
}
