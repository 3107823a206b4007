import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The capture-time filters of `GET /api/files` (`takenAfter`, `takenBefore`) over the extracted EXIF time of each
 * content, `rendition_jobs.media_info->>'takenAt'` (one row per content hash).
 *
 * - The renderer writes `takenAt` as `Date.toISOString()`: UTC, milliseconds, `Z`, a four-digit year. In that form
 *   text order is time order, so a plain B-tree over the text serves range filters, with an immutable expression and
 *   no trigger or copied column to keep in step. The CHECK holds the form: a renderer that ever wrote another
 *   (an offset, no milliseconds) would fail loudly instead of silently mis-sorting.
 * - The index carries the hash, the join key to `media_files.hash` (unique). It is deliberately not partial:
 *   PostgreSQL keeps statistics of an index expression only for non-partial indexes, and without them every range
 *   is estimated at a fixed guess (0.5 % or 33 %), which picks the wrong side of the semi-join for wide or narrow
 *   ranges. With them, a narrow range starts from this index and a wide one from the page's own order.
 */
export class RenditionTakenAtIndex1765100000000 implements MigrationInterface {
  name = 'RenditionTakenAtIndex1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE "rendition_jobs" ADD CONSTRAINT "rendition_jobs_taken_at_canonical"
        CHECK (("media_info"->>'takenAt') ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$')`);
    await q.query(`
      CREATE INDEX "rendition_jobs_taken_at_idx" ON "rendition_jobs" (("media_info"->>'takenAt'), "hash")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "rendition_jobs_taken_at_idx"`);
    await q.query(`ALTER TABLE "rendition_jobs" DROP CONSTRAINT "rendition_jobs_taken_at_canonical"`);
  }
}
