import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Same rule as `emailKeyOf` in src/auth/emails.ts, copied so that this migration never changes behind our back. */
const emailKeyOf = (email: string) => email.normalize('NFKC').trim().toLowerCase().normalize('NFKC');

/**
 * Users gain a display `name`, a `disabled` flag and `email_key`: the e-mail normalised (NFKC, lower case,
 * trimmed) in the application, so that `ａ@example.com` (full-width) and `A@example.com` are one account whatever
 * the database's collation (PostgreSQL's `lower()` leaves non-ASCII letters alone under the C locale).
 * Sessions: one `auth_sessions` row per login (a refresh token family) and the hashes of its refresh tokens.
 */
export class SessionsAndUserNames1764600000000 implements MigrationInterface {
  name = 'SessionsAndUserNames1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN name varchar(100), ADD COLUMN email_key varchar(320),
      ADD COLUMN disabled boolean NOT NULL DEFAULT false`);
    const users = (await q.query(`SELECT id, email FROM users ORDER BY created_at, id`)) as Array<{
      id: string;
      email: string;
    }>;
    const taken = new Set<string>();
    for (const { id, email } of users) {
      const display = email.normalize('NFKC').trim();
      let key = emailKeyOf(email);
      let disabled = false;
      if (taken.has(key)) {
        // An older account already is this address (the spoofing this migration closes): the newer one keeps its
        // row and files but can no longer log in; an admin decides what to do with it.
        key = `${key}#${id}`;
        disabled = true;
      }
      taken.add(key);
      const name =
        (display.includes('@') ? display.slice(0, display.lastIndexOf('@')) : display).slice(0, 100) || 'user';
      await q.query(`UPDATE users SET email = $2, email_key = $3, name = $4, disabled = $5 WHERE id = $1`, [
        id,
        disabled ? email : display,
        key,
        name,
        disabled,
      ]);
    }
    await q.query(`ALTER TABLE users ALTER COLUMN name SET NOT NULL, ALTER COLUMN email_key SET NOT NULL`);
    await q.query(`DROP INDEX users_email_lower_key`);
    await q.query(`CREATE UNIQUE INDEX users_email_key_key ON users (email_key)`);

    await q.query(`
      CREATE TABLE auth_sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        refreshed_at timestamptz,
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        revoked_reason varchar(32)
      )`);
    // Revoking "every session of a user" and pruning a user's old sessions.
    await q.query(`CREATE INDEX auth_sessions_user_idx ON auth_sessions (user_id)`);
    await q.query(`
      CREATE TABLE refresh_tokens (
        token_hash bytea PRIMARY KEY,
        session_id uuid NOT NULL REFERENCES auth_sessions (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      )`);
    await q.query(`CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE refresh_tokens`);
    await q.query(`DROP TABLE auth_sessions`);
    await q.query(`DROP INDEX users_email_key_key`);
    await q.query(`ALTER TABLE users DROP COLUMN name, DROP COLUMN email_key, DROP COLUMN disabled`);
    await q.query(`CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email))`);
  }
}
