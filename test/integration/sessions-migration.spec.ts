/**
 * The sessions migration normalises the e-mails already stored (issue 13 item 12): rows written before it get
 * their key, their display form and a name; an account spoofing an older one (same address once normalised) keeps
 * its row but is disabled. Run on a database with the schema as it was before the migration.
 */
import { DataSource } from 'typeorm';
import { SessionsAndUserNames1764600000000 } from '../../migrations/1764600000000-SessionsAndUserNames.js';
import { useTestDatabase } from '../support/database.js';

describe('sessions: migration of existing users', () => {
  const database = useTestDatabase();
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = new DataSource({ type: 'postgres', url: database.url, logging: false });
    await dataSource.initialize();
  });
  database.closeBeforeDrop(async () => {
    await dataSource?.destroy();
  });

  it('normalises stored e-mails, names every user and disables the newer of two accounts for one address', async () => {
    const migration = new SessionsAndUserNames1764600000000();
    const runner = dataSource.createQueryRunner();
    try {
      await migration.down(runner);
      const insert = (email: string, createdAt: string) =>
        runner.query(
          `INSERT INTO users (email, password_hash, role, created_at) VALUES ($1, 'x', 'member', $2) RETURNING id`,
          [email, createdAt],
        ) as Promise<Array<{ id: string }>>;
      const [[original], [spoof], [wide], [plain]] = [
        await insert('Ann@Example.com', '2026-01-01T00:00:00Z'),
        await insert('ａｎｎ@example.com', '2026-01-02T00:00:00Z'),
        await insert(' ｃａｒｏｌ@ｅｘａｍｐｌｅ.ｃｏｍ ', '2026-01-03T00:00:00Z'),
        await insert('bob@example.com', '2026-01-04T00:00:00Z'),
      ];

      await migration.up(runner);

      const rows = (await runner.query(
        `SELECT id, email, email_key AS "emailKey", name, disabled FROM users WHERE id = ANY($1) ORDER BY created_at`,
        [[original.id, spoof.id, wide.id, plain.id]],
      )) as Array<{ id: string; email: string; emailKey: string; name: string; disabled: boolean }>;
      expect(rows).toEqual([
        { id: original.id, email: 'Ann@Example.com', emailKey: 'ann@example.com', name: 'Ann', disabled: false },
        {
          id: spoof.id,
          email: 'ａｎｎ@example.com',
          emailKey: `ann@example.com#${spoof.id}`,
          name: 'ann',
          disabled: true,
        },
        { id: wide.id, email: 'carol@example.com', emailKey: 'carol@example.com', name: 'carol', disabled: false },
        { id: plain.id, email: 'bob@example.com', emailKey: 'bob@example.com', name: 'bob', disabled: false },
      ]);
      // From now on the key is unique: the spoof cannot come back.
      await expect(
        runner.query(
          `INSERT INTO users (email, email_key, name, password_hash) VALUES ('x', 'carol@example.com', 'x', 'x')`,
        ),
      ).rejects.toMatchObject({ driverError: { code: '23505', constraint: 'users_email_key_key' } });
    } finally {
      await runner.release();
    }
  });
});
