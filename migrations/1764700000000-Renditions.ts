import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Renditions (thumbnail, preview) of stored contents and the durable queue that renders them.
 *
 * - `renditions`: one row per (content hash, kind, generator version), pointing at its own object
 *   (`renditions/<uuid>.webp`, unique per rendered incarnation, like content objects).
 * - `rendition_jobs`: one row per content hash; `status` pending → running → ready | failed | unsupported.
 *   A running job holds a lease (`lease_token`, `lease_expires_at`, pushed forward by the worker's heartbeat);
 *   past it, another worker takes the job again, and the token fences the late worker out of recording.
 *
 * Both reference `stored_objects`: no rendition or job can exist for content that is not stored. When the
 * content lifecycle deletes a `stored_objects` row (in its transaction, under the content lock), the trigger
 * below frees the content's renditions in that same transaction through the same deletion outbox, and the
 * job goes with the content (cascade).
 */
export class Renditions1764700000000 implements MigrationInterface {
  name = 'Renditions1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "rendition_jobs" (
        "hash" char(64) PRIMARY KEY REFERENCES "stored_objects" ("hash") ON DELETE CASCADE,
        "generator_version" integer NOT NULL CHECK ("generator_version" > 0),
        "status" varchar(16) NOT NULL DEFAULT 'pending'
          CHECK ("status" IN ('pending', 'running', 'ready', 'failed', 'unsupported')),
        "attempts" integer NOT NULL DEFAULT 0 CHECK ("attempts" >= 0),
        "next_attempt_at" timestamptz NOT NULL DEFAULT now(),
        "lease_token" uuid,
        "lease_owner" varchar(200),
        "lease_expires_at" timestamptz,
        "failure_reason" text,
        "content_type" varchar(255),
        "media_info" jsonb,
        "placeholder" varchar(200),
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        "finished_at" timestamptz,
        CHECK (("status" = 'running') = ("lease_token" IS NOT NULL AND "lease_expires_at" IS NOT NULL))
      )`);
    // The two ways a job becomes due: its retry time came, or its worker's lease lapsed.
    await q.query(
      `CREATE INDEX "rendition_jobs_pending_idx" ON "rendition_jobs" ("next_attempt_at") WHERE "status" = 'pending'`,
    );
    await q.query(
      `CREATE INDEX "rendition_jobs_lease_idx" ON "rendition_jobs" ("lease_expires_at") WHERE "status" = 'running'`,
    );

    await q.query(`
      CREATE TABLE "renditions" (
        "hash" char(64) NOT NULL REFERENCES "stored_objects" ("hash"),
        "kind" varchar(16) NOT NULL CHECK ("kind" IN ('thumbnail', 'preview')),
        "generator_version" integer NOT NULL CHECK ("generator_version" > 0),
        "object_key" varchar(512) NOT NULL UNIQUE,
        "content_type" varchar(100) NOT NULL,
        "width" integer NOT NULL CHECK ("width" > 0),
        "height" integer NOT NULL CHECK ("height" > 0),
        "size" integer NOT NULL CHECK ("size" > 0),
        "created_at" timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY ("hash", "kind", "generator_version")
      )`);

    await q.query(`
      CREATE FUNCTION "free_renditions_of_content"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO storage_deletions (object_key, reason)
          SELECT object_key, 'rendition-released' FROM renditions WHERE hash = OLD.hash;
        DELETE FROM renditions WHERE hash = OLD.hash;
        RETURN OLD;
      END
      $$`);
    await q.query(`
      CREATE TRIGGER "stored_objects_free_renditions" BEFORE DELETE ON "stored_objects"
        FOR EACH ROW EXECUTE FUNCTION "free_renditions_of_content"()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER "stored_objects_free_renditions" ON "stored_objects"`);
    await q.query(`DROP FUNCTION "free_renditions_of_content"()`);
    await q.query(`DROP TABLE "renditions"`);
    await q.query(`DROP TABLE "rendition_jobs"`);
  }
}
