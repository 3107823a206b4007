/**
 * The deletion outbox calls storage with no transaction open: a drain leases its batch in one statement and then
 * removes the objects, so no row lock is held across (up to 100) storage calls. While a remove is in flight, the
 * outbox row is unlocked (another session locks it at once) and leased (not due, so no other drain takes it).
 */
import { jest } from '@jest/globals';
import { Readable } from 'node:stream';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { StorageDeletionQueue } from '../../src/file-manager/services/storage-deletion-queue.service.js';
import { ObjectStorage } from '../../src/storage/object-storage.js';
import { useTestApp } from '../support/app.js';

describe('the deletion outbox during a storage call', () => {
  const t = useTestApp();

  it('holds no lock and no transaction while it removes, and leases the row meanwhile', async () => {
    const storage = t.get(ObjectStorage);
    const key = 'objects/lease-probe';
    await storage.putStream(key, Readable.from([Buffer.from('to be deleted')]));
    const [{ id }]: Array<{ id: string }> = await t
      .get(DataSource)
      .query(`INSERT INTO storage_deletions (object_key, reason) VALUES ($1, 'orphan') RETURNING id`, [key]);

    // The remove waits inside storage until the checks below are done.
    let enter!: () => void;
    let leave!: () => void;
    const entered = new Promise<void>((resolve) => (enter = resolve));
    const gate = new Promise<void>((resolve) => (leave = resolve));
    const remove = storage.remove.bind(storage);
    const spy = jest.spyOn(storage, 'remove').mockImplementation(async (objectKey: string) => {
      enter();
      await gate;
      return remove(objectKey);
    });

    const drained = t.get(StorageDeletionQueue).processDue();
    const other = new pg.Client({ connectionString: t.databaseUrl });
    await other.connect();
    try {
      await entered;
      await other.query('BEGIN');
      // NOWAIT: fails at once (lock_not_available) if the drain still held the row FOR UPDATE.
      const locked = await other.query(
        `SELECT next_attempt_at > now() AS leased FROM storage_deletions WHERE id = $1 FOR UPDATE NOWAIT`,
        [id],
      );
      expect(locked.rows).toEqual([{ leased: true }]);
      await other.query('ROLLBACK');
      const idle = await other.query(
        `SELECT count(*)::int AS idle FROM pg_stat_activity
          WHERE datname = current_database() AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()`,
      );
      expect(idle.rows).toEqual([{ idle: 0 }]);
    } finally {
      leave();
      await other.end();
      await drained.finally(() => spy.mockRestore());
    }
    expect(await drained).toEqual({ deleted: 1, failed: 0 });
    expect(await storage.stat(key)).toBeFalsy();
    expect(await t.get(DataSource).query(`SELECT id FROM storage_deletions WHERE id = $1`, [id])).toEqual([]);
  });
});
