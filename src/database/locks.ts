/**
 * Every PostgreSQL advisory lock the application takes, in one place, so two features can never pick the same
 * number by accident. Advisory locks coordinate *instances* (several servers on one database); nothing in
 * mediavault relies on an in-process mutex.
 */
export enum AdvisoryLock {
  Migrations = 7_310_001,
  JobExpirePending = 7_310_101,
  JobPurgeTrash = 7_310_102,
  JobCollectGarbage = 7_310_103,
  JobVerifyIntegrity = 7_310_104,
  JobProcessDeletions = 7_310_105,
  JobFoldSearchCounts = 7_310_106,
  JobGenerateRenditions = 7_310_107,
}

/**
 * The class of the per-content transaction locks (`pg_advisory_xact_lock(CONTENT_LOCK_CLASS, hashtext(hash))`).
 * Two-key advisory locks live in a key space of their own, apart from the single-key job locks above.
 */
export const CONTENT_LOCK_CLASS = 7310;
