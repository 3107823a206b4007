import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource, type QueryRunner } from 'typeorm';
import { authConfig } from '../config/configuration.js';
import { inTransaction } from '../database/transactions.js';
import { InvalidRefreshTokenException } from './auth.errors.js';

/** Why a session ended; kept on the row for whoever investigates. */
export type RevocationReason = 'logout' | 'reuse' | 'password-changed' | 'disabled' | 'demoted';

type Queryable = Pick<DataSource | QueryRunner, 'query'>;

export interface IssuedRefreshToken {
  sessionId: string;
  refreshToken: string;
}

/**
 * Sessions and their rotating refresh tokens, all in PostgreSQL so that every instance sees a revocation at once.
 *
 * A session is one login (a refresh-token family). Each refresh token is used once: refreshing marks it used and
 * issues the next one of the same session. Presenting a used token again means two parties hold the family (one
 * of them stole it): the whole session is revoked, which also ends its access tokens (they carry the session id
 * and the auth guard checks it on every request). Only SHA-256 hashes of refresh tokens are stored: they are 256
 * random bits, so a fast hash is enough and a database leak yields no usable token.
 */
@Injectable()
export class SessionsService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  /** Starts a session for a user who just proved who they are; old, finished sessions of the user are pruned. */
  async start(userId: string): Promise<IssuedRefreshToken> {
    // Revoked sessions are kept a day for whoever investigates; expired ones are useless.
    await this.dataSource.query(
      `DELETE FROM auth_sessions
        WHERE user_id = $1 AND (expires_at < now() OR revoked_at < now() - interval '1 day')`,
      [userId],
    );
    return inTransaction(this.dataSource, async (runner) => {
      const [{ id }] = (await runner.query(
        `INSERT INTO auth_sessions (user_id, expires_at) VALUES ($1, now() + make_interval(secs => $2)) RETURNING id`,
        [userId, this.config.refreshTokenTtlSeconds],
      )) as Array<{ id: string }>;
      return { sessionId: id, refreshToken: await this.issueToken(runner, id) };
    });
  }

  /**
   * Uses a refresh token: answers its user and the session's next refresh token. Unknown, expired, revoked or
   * reused tokens, and tokens of disabled users, are refused; a reused one revokes its session first.
   */
  async rotate(refreshToken: string): Promise<IssuedRefreshToken & { userId: string }> {
    const outcome = await inTransaction(this.dataSource, async (runner) => {
      // The session row lock serialises every rotation of one family; the token row is locked too, so that a use
      // that waited reads the token as the first use left it (used), not as its snapshot saw it.
      const [row] = (await runner.query(
        `SELECT t.session_id AS "sessionId", t.used_at AS "usedAt", t.expires_at <= now() AS expired,
                s.revoked_at AS "revokedAt", s.user_id AS "userId", u.disabled
           FROM refresh_tokens t
           JOIN auth_sessions s ON s.id = t.session_id
           JOIN users u ON u.id = s.user_id
          WHERE t.token_hash = $1
          FOR UPDATE OF t, s`,
        [hashOf(refreshToken)],
      )) as Array<{
        sessionId: string;
        usedAt: Date | null;
        expired: boolean;
        revokedAt: Date | null;
        userId: string;
        disabled: boolean;
      }>;
      if (!row || row.revokedAt || row.expired || row.disabled) return { refused: true as const };
      if (row.usedAt) {
        await this.revokeSessions(runner, 'id = $1', [row.sessionId], 'reuse');
        return { refused: true as const };
      }
      await runner.query(`UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1`, [hashOf(refreshToken)]);
      // Expired tokens of this session are no longer needed to recognise a reuse (they are refused anyway).
      await runner.query(`DELETE FROM refresh_tokens WHERE session_id = $1 AND expires_at < now()`, [row.sessionId]);
      await runner.query(
        `UPDATE auth_sessions SET refreshed_at = now(), expires_at = now() + make_interval(secs => $2) WHERE id = $1`,
        [row.sessionId, this.config.refreshTokenTtlSeconds],
      );
      const next = await this.issueToken(runner, row.sessionId);
      return { refused: false as const, userId: row.userId, sessionId: row.sessionId, refreshToken: next };
    });
    // Thrown after the transaction so that a reuse's revocation is committed, not rolled back with the error.
    if (outcome.refused) throw new InvalidRefreshTokenException();
    return outcome;
  }

  /** Ends the session this refresh token belongs to, if it is one of `userId`'s (anything else: nothing happens). */
  async revokeByRefreshToken(refreshToken: string, userId: string): Promise<void> {
    await this.revokeSessions(
      this.dataSource,
      `id = (SELECT session_id FROM refresh_tokens WHERE token_hash = $1) AND user_id = $2`,
      [hashOf(refreshToken), userId],
      'logout',
    );
  }

  revoke(sessionId: string, reason: RevocationReason): Promise<void> {
    return this.revokeSessions(this.dataSource, 'id = $1', [sessionId], reason);
  }

  /** Ends every live session of a user, but the one given (the caller's own, when they stay logged in). */
  revokeAllOf(db: Queryable, userId: string, reason: RevocationReason, exceptSessionId?: string): Promise<void> {
    return exceptSessionId
      ? this.revokeSessions(db, 'user_id = $1 AND id <> $2', [userId, exceptSessionId], reason)
      : this.revokeSessions(db, 'user_id = $1', [userId], reason);
  }

  private async revokeSessions(
    db: Queryable,
    where: string,
    params: unknown[],
    reason: RevocationReason,
  ): Promise<void> {
    await db.query(
      `UPDATE auth_sessions SET revoked_at = now(), revoked_reason = $${params.length + 1}
        WHERE revoked_at IS NULL AND ${where}`,
      [...params, reason],
    );
  }

  private async issueToken(runner: QueryRunner, sessionId: string): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await runner.query(
      `INSERT INTO refresh_tokens (token_hash, session_id, expires_at)
       VALUES ($1, $2, now() + make_interval(secs => $3))`,
      [hashOf(token), sessionId, this.config.refreshTokenTtlSeconds],
    );
    return token;
  }
}

function hashOf(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
