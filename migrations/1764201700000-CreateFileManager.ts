import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The file manager's schema. The rules that keep content safe are enforced here as much as in code:
 * - `stored_objects`: one row per distinct content (hash) that is stored; its `object_key` is unique to that
 *   stored incarnation, so a delete issued for an old incarnation can never hit a newer copy of the content.
 * - `media_files.hash` and `pending_files.hash` are unique (one record per content, trashed included).
 * - `storage_deletions` is the outbox of object deletes, written in the transaction that frees the content.
 * - `upload_sessions` marks objects being written by uploads that have not committed yet, so garbage
 *   collection never takes an object an upload is about to claim.
 */
export class CreateFileManager1764201700000 implements MigrationInterface {
  name = 'CreateFileManager1764201700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TYPE "access_level" AS ENUM ('public', 'members', 'staff', 'private')`);
    await q.query(`CREATE TYPE "file_type" AS ENUM ('image', 'document', 'video', 'audio', 'archive', 'other')`);
    await q.query(`CREATE TYPE "pending_status" AS ENUM ('pending', 'approved', 'rejected', 'expired')`);

    await q.query(`
      CREATE TABLE "stored_objects" (
        "hash" char(64) PRIMARY KEY CHECK ("hash" ~ '^[0-9a-f]{64}$'),
        "object_key" varchar(512) NOT NULL UNIQUE,
        "size" bigint NOT NULL CHECK ("size" > 0),
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        "verified_at" timestamptz
      )`);

    await q.query(`
      CREATE TABLE "upload_sessions" (
        "object_key" varchar(512) PRIMARY KEY,
        "started_at" timestamptz NOT NULL DEFAULT now(),
        "touched_at" timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE "storage_deletions" (
        "id" bigserial PRIMARY KEY,
        "object_key" varchar(512) NOT NULL,
        "reason" varchar(64) NOT NULL,
        "attempts" integer NOT NULL DEFAULT 0,
        "last_error" text,
        "next_attempt_at" timestamptz NOT NULL DEFAULT now(),
        "created_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX "storage_deletions_due_idx" ON "storage_deletions" ("next_attempt_at")`);
    await q.query(`CREATE INDEX "storage_deletions_key_idx" ON "storage_deletions" ("object_key")`);

    await q.query(`
      CREATE TABLE "tags" (
        "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "name" varchar(100) NOT NULL,
        "slug" varchar(120) NOT NULL UNIQUE,
        "color" varchar(7),
        "description" text NOT NULL DEFAULT '',
        "created_by" uuid REFERENCES "users" ("id") ON DELETE SET NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX "tags_name_lower_key" ON "tags" (lower("name"))`);

    await q.query(`
      CREATE TABLE "collections" (
        "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "title" varchar(255) NOT NULL,
        "slug" varchar(280) NOT NULL UNIQUE,
        "description" text NOT NULL DEFAULT '',
        "access_level" "access_level" NOT NULL DEFAULT 'members',
        "created_by" uuid REFERENCES "users" ("id") ON DELETE SET NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE "collection_tags" (
        "collection_id" uuid NOT NULL REFERENCES "collections" ("id") ON DELETE CASCADE,
        "tag_id" uuid NOT NULL REFERENCES "tags" ("id") ON DELETE CASCADE,
        PRIMARY KEY ("collection_id", "tag_id")
      )`);

    await q.query(`
      CREATE TABLE "media_files" (
        "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "hash" char(64) NOT NULL,
        "title" varchar(255) NOT NULL,
        "slug" varchar(280) NOT NULL,
        "description" text NOT NULL DEFAULT '',
        "original_filename" varchar(255) NOT NULL,
        "file_size" bigint NOT NULL,
        "content_type" varchar(255) NOT NULL,
        "file_type" "file_type" NOT NULL,
        "width" integer,
        "height" integer,
        "access_level" "access_level" NOT NULL DEFAULT 'members',
        "download_count" bigint NOT NULL DEFAULT 0,
        "last_accessed_at" timestamptz,
        "created_by" uuid NOT NULL REFERENCES "users" ("id"),
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        "deleted_at" timestamptz,
        "deleted_by" uuid REFERENCES "users" ("id") ON DELETE SET NULL,
        CONSTRAINT "media_files_hash_key" UNIQUE ("hash"),
        CONSTRAINT "media_files_slug_key" UNIQUE ("slug")
      )`);
    await q.query(
      `CREATE INDEX "media_files_deleted_at_idx" ON "media_files" ("deleted_at") WHERE "deleted_at" IS NOT NULL`,
    );
    await q.query(`CREATE INDEX "media_files_created_by_idx" ON "media_files" ("created_by")`);

    await q.query(`
      CREATE TABLE "media_file_tags" (
        "media_file_id" uuid NOT NULL REFERENCES "media_files" ("id") ON DELETE CASCADE,
        "tag_id" uuid NOT NULL REFERENCES "tags" ("id") ON DELETE CASCADE,
        PRIMARY KEY ("media_file_id", "tag_id")
      )`);
    await q.query(`CREATE INDEX "media_file_tags_tag_idx" ON "media_file_tags" ("tag_id", "media_file_id")`);
    await q.query(`
      CREATE TABLE "media_file_collections" (
        "media_file_id" uuid NOT NULL REFERENCES "media_files" ("id") ON DELETE CASCADE,
        "collection_id" uuid NOT NULL REFERENCES "collections" ("id") ON DELETE CASCADE,
        PRIMARY KEY ("media_file_id", "collection_id")
      )`);
    await q.query(
      `CREATE INDEX "media_file_collections_collection_idx" ON "media_file_collections" ("collection_id", "media_file_id")`,
    );

    await q.query(`
      CREATE TABLE "media_usages" (
        "media_file_id" uuid NOT NULL REFERENCES "media_files" ("id") ON DELETE CASCADE,
        "content_type" varchar(100) NOT NULL,
        "content_id" varchar(255) NOT NULL,
        "created_by" uuid REFERENCES "users" ("id") ON DELETE SET NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY ("media_file_id", "content_type", "content_id")
      )`);

    await q.query(`
      CREATE TABLE "pending_files" (
        "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "hash" char(64) NOT NULL,
        "original_filename" varchar(255) NOT NULL,
        "file_size" bigint NOT NULL,
        "content_type" varchar(255) NOT NULL,
        "file_type" "file_type" NOT NULL,
        "width" integer,
        "height" integer,
        "folder_path" varchar(1024) NOT NULL DEFAULT '',
        "status" "pending_status" NOT NULL DEFAULT 'pending',
        "reason" text,
        "expires_at" timestamptz NOT NULL,
        "uploaded_by" uuid NOT NULL REFERENCES "users" ("id"),
        "reviewed_by" uuid REFERENCES "users" ("id") ON DELETE SET NULL,
        "reviewed_at" timestamptz,
        "media_file_id" uuid,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pending_files_hash_key" UNIQUE ("hash")
      )`);
    await q.query(`CREATE INDEX "pending_files_status_created_idx" ON "pending_files" ("status", "created_at")`);
    await q.query(`CREATE INDEX "pending_files_uploaded_by_idx" ON "pending_files" ("uploaded_by", "status")`);
    await q.query(
      `CREATE INDEX "pending_files_expiry_idx" ON "pending_files" ("expires_at") WHERE "status" = 'pending'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'pending_files',
      'media_usages',
      'media_file_collections',
      'media_file_tags',
      'media_files',
      'collection_tags',
      'collections',
      'tags',
      'storage_deletions',
      'upload_sessions',
      'stored_objects',
    ]) {
      await q.query(`DROP TABLE "${table}"`);
    }
    await q.query(`DROP TYPE "pending_status"`);
    await q.query(`DROP TYPE "file_type"`);
    await q.query(`DROP TYPE "access_level"`);
  }
}
