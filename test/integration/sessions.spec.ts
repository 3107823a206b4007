/**
 * Sessions and users (issue 10 §3, issue 13 items 12-13): rotating refresh tokens and their families, logout,
 * password change, an admin's PATCH of role and disabled (tokens end at once, never the last admin), normalised
 * e-mails and display names; through HTTP on the real application and a real database.
 */
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ADMIN_EMAIL, MEMBER_PASSWORD, createTestApp, useTestApp } from '../support/app.js';
import { expectError } from '../support/errors.js';

interface Session {
  auth: string;
  refreshToken: string;
  userId: string;
}

describe('sessions and users', () => {
  const t = useTestApp();
  let counter = 0;

  async function login(email: string, password = MEMBER_PASSWORD): Promise<Session> {
    const response = await t.http.post('/api/auth/login').send({ email, password });
    expect(response.status).toBe(200);
    return {
      auth: `Bearer ${response.body.accessToken}`,
      refreshToken: response.body.refreshToken,
      userId: response.body.user.id,
    };
  }

  async function newUser(role: 'admin' | 'member' = 'member'): Promise<{ id: string; email: string }> {
    counter += 1;
    const user = await t.createUser(role, `session-user-${counter}@test.local`);
    return { id: user.id, email: user.email };
  }

  const me = (auth: string) => t.http.get('/api/auth/me').set('Authorization', auth);
  const refresh = (refreshToken: string) => t.http.post('/api/auth/refresh').send({ refreshToken });

  describe('POST /api/auth/refresh', () => {
    it('answers the login shape with a new refresh token; the new access token works', async () => {
      const user = await newUser();
      const session = await login(user.email);
      const response = await refresh(session.refreshToken);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        accessToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: 3600,
        refreshToken: expect.any(String),
        user: {
          id: user.id,
          email: user.email,
          name: user.email.split('@')[0],
          role: 'member',
          disabled: false,
          createdAt: expect.any(String),
        },
      });
      expect(response.body.refreshToken).not.toBe(session.refreshToken);
      expect((await me(`Bearer ${response.body.accessToken}`)).status).toBe(200);
      // The earlier access token of the same session keeps working until it expires.
      expect((await me(session.auth)).status).toBe(200);
    });

    it('stores only hashes of refresh tokens', async () => {
      const user = await newUser();
      const session = await login(user.email);
      const rows = await t.get(DataSource).query<Array<{ hash: string }>>(
        `SELECT encode(t.token_hash, 'hex') AS hash FROM refresh_tokens t JOIN auth_sessions s ON s.id = t.session_id
          WHERE s.user_id = $1`,
        [user.id],
      );
      // Two logins (the harness's and ours): two tokens, each a SHA-256, none the token itself.
      expect(rows).toHaveLength(2);
      expect(rows.map(({ hash }) => hash)).toContain(createHash('sha256').update(session.refreshToken).digest('hex'));
      expect(JSON.stringify(rows)).not.toContain(session.refreshToken);
      expect(JSON.stringify(rows)).not.toContain(Buffer.from(session.refreshToken, 'base64url').toString('hex'));
    });

    it('revokes the family when a rotated token is reused: 401, its successor and access tokens end', async () => {
      const user = await newUser();
      const stolen = await login(user.email);
      const other = await login(user.email);
      const rotated = await refresh(stolen.refreshToken);
      expect(rotated.status).toBe(200);

      expectError(await refresh(stolen.refreshToken), 401, 'INVALID_REFRESH_TOKEN');
      expectError(await refresh(rotated.body.refreshToken), 401, 'INVALID_REFRESH_TOKEN');
      expectError(await me(`Bearer ${rotated.body.accessToken}`), 401, 'UNAUTHORIZED');
      expectError(await me(stolen.auth), 401, 'UNAUTHORIZED');
      // Another session (another login) of the same user is not part of that family.
      expect((await me(other.auth)).status).toBe(200);
      expect((await refresh(other.refreshToken)).status).toBe(200);
      const [{ reason }] = await t.get(DataSource).query<Array<{ reason: string }>>(
        `SELECT revoked_reason AS reason FROM auth_sessions s JOIN refresh_tokens t ON t.session_id = s.id
          WHERE t.token_hash = sha256(convert_to($1, 'UTF8'))`,
        [stolen.refreshToken],
      );
      expect(reason).toBe('reuse');
    });

    it('lets exactly one of two simultaneous uses of one token win, then revokes the family', async () => {
      const user = await newUser();
      const session = await login(user.email);
      const responses = await Promise.all([refresh(session.refreshToken), refresh(session.refreshToken)]);
      expect(responses.map((response) => response.status).sort()).toEqual([200, 401]);
      const winner = responses.find((response) => response.status === 200)!;
      expectError(await refresh(winner.body.refreshToken), 401, 'INVALID_REFRESH_TOKEN');
    });

    it('refuses unknown, expired and malformed tokens', async () => {
      expectError(await refresh('not-a-token-we-issued'), 401, 'INVALID_REFRESH_TOKEN');
      const user = await newUser();
      const session = await login(user.email);
      await t.get(DataSource).query(
        `UPDATE refresh_tokens SET expires_at = now() - interval '1 second'
          WHERE session_id IN (SELECT id FROM auth_sessions WHERE user_id = $1)`,
        [user.id],
      );
      expectError(await refresh(session.refreshToken), 401, 'INVALID_REFRESH_TOKEN');
      expectError(await t.http.post('/api/auth/refresh').send({}), 400, 'VALIDATION_FAILED');
      expectError(await t.http.post('/api/auth/refresh').send({ refreshToken: 42 }), 400, 'VALIDATION_FAILED');
    });

    it('refuses access tokens without a session (issued before sessions existed)', async () => {
      const user = await newUser();
      const { JwtService } = await import('@nestjs/jwt');
      const legacy = await t.get(JwtService).signAsync({ sub: user.id }, { expiresIn: 600 });
      expectError(await me(`Bearer ${legacy}`), 401, 'UNAUTHORIZED');
      const badSub = await t.get(JwtService).signAsync({ sub: 'not-a-uuid', sid: 'nor-this' }, { expiresIn: 600 });
      expectError(await me(`Bearer ${badSub}`), 401, 'UNAUTHORIZED');
    });
  });

  describe('POST /api/auth/logout', () => {
    it('with a refresh token: ends that session (its refresh and access tokens), not the others', async () => {
      const user = await newUser();
      const phone = await login(user.email);
      const laptop = await login(user.email);
      const response = await t.http
        .post('/api/auth/logout')
        .set('Authorization', laptop.auth)
        .send({ refreshToken: phone.refreshToken });
      expect(response.status).toBe(204);
      expect(response.text).toBe('');
      expectError(await refresh(phone.refreshToken), 401, 'INVALID_REFRESH_TOKEN');
      expectError(await me(phone.auth), 401, 'UNAUTHORIZED');
      expect((await me(laptop.auth)).status).toBe(200);
    });

    it('without a body: ends the session of the access token used', async () => {
      const user = await newUser();
      const phone = await login(user.email);
      const laptop = await login(user.email);
      expect((await t.http.post('/api/auth/logout').set('Authorization', laptop.auth)).status).toBe(204);
      expectError(await me(laptop.auth), 401, 'UNAUTHORIZED');
      expectError(await refresh(laptop.refreshToken), 401, 'INVALID_REFRESH_TOKEN');
      expect((await me(phone.auth)).status).toBe(200);
    });

    it("ignores another user's refresh token (204, their session lives on) and needs authentication", async () => {
      const victim = await login((await newUser()).email);
      const caller = await login((await newUser()).email);
      expect(
        (
          await t.http
            .post('/api/auth/logout')
            .set('Authorization', caller.auth)
            .send({ refreshToken: victim.refreshToken })
        ).status,
      ).toBe(204);
      expect((await me(victim.auth)).status).toBe(200);
      expect((await refresh(victim.refreshToken)).status).toBe(200);
      expectError(
        await t.http.post('/api/auth/logout').send({ refreshToken: victim.refreshToken }),
        401,
        'UNAUTHORIZED',
      );
    });
  });

  describe('POST /api/auth/password', () => {
    it("changes the password, keeps the caller's session and ends the others", async () => {
      const user = await newUser();
      const caller = await login(user.email);
      const thief = await login(user.email);
      const response = await t.http
        .post('/api/auth/password')
        .set('Authorization', caller.auth)
        .send({ currentPassword: MEMBER_PASSWORD, newPassword: 'a-brand-new-password' });
      expect(response.status).toBe(204);
      expectError(
        await t.http.post('/api/auth/login').send({ email: user.email, password: MEMBER_PASSWORD }),
        401,
        'INVALID_CREDENTIALS',
      );
      await login(user.email, 'a-brand-new-password');
      expect((await me(caller.auth)).status).toBe(200);
      expect((await refresh(caller.refreshToken)).status).toBe(200);
      expectError(await me(thief.auth), 401, 'UNAUTHORIZED');
      expectError(await refresh(thief.refreshToken), 401, 'INVALID_REFRESH_TOKEN');
    });

    it('refuses a wrong current password with 401 and a weak new one with 400, changing nothing', async () => {
      const user = await newUser();
      const caller = await login(user.email);
      const other = await login(user.email);
      const wrong = await t.http
        .post('/api/auth/password')
        .set('Authorization', caller.auth)
        .send({ currentPassword: 'not-my-password', newPassword: 'a-brand-new-password' });
      expectError(wrong, 401, 'INVALID_CREDENTIALS');
      const weak = await t.http
        .post('/api/auth/password')
        .set('Authorization', caller.auth)
        .send({ currentPassword: MEMBER_PASSWORD, newPassword: 'short' });
      expectError(weak, 400, 'VALIDATION_FAILED');
      expect((weak.body.details.fields as Array<{ field: string }>).map(({ field }) => field)).toEqual(['newPassword']);
      await login(user.email, MEMBER_PASSWORD);
      expect((await me(other.auth)).status).toBe(200);
      expectError(
        await t.http
          .post('/api/auth/password')
          .send({ currentPassword: MEMBER_PASSWORD, newPassword: 'whatever-long' }),
        401,
        'UNAUTHORIZED',
      );
    });
  });

  describe('PATCH /api/users/:id', () => {
    it('disables a user: tokens stop at once, no login or refresh; enabling lets them log in again', async () => {
      const admin = await t.adminAuth();
      const user = await newUser();
      const session = await login(user.email);
      const response = await t.http.patch(`/api/users/${user.id}`).set('Authorization', admin).send({ disabled: true });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id: user.id, email: user.email, role: 'member', disabled: true });
      expectError(await me(session.auth), 401, 'UNAUTHORIZED');
      expectError(await refresh(session.refreshToken), 401, 'INVALID_REFRESH_TOKEN');
      expectError(
        await t.http.post('/api/auth/login').send({ email: user.email, password: MEMBER_PASSWORD }),
        403,
        'ACCOUNT_DISABLED',
      );
      // A wrong password tells nothing about the account being disabled.
      expectError(
        await t.http.post('/api/auth/login').send({ email: user.email, password: 'wrong-password' }),
        401,
        'INVALID_CREDENTIALS',
      );
      const list = await t.http.get('/api/users').query({ pageSize: 100 }).set('Authorization', admin);
      expect(list.body.results.find((entry: { id: string }) => entry.id === user.id)).toMatchObject({ disabled: true });

      const enabled = await t.http.patch(`/api/users/${user.id}`).set('Authorization', admin).send({ disabled: false });
      expect(enabled.body).toMatchObject({ disabled: false });
      // The sessions ended by disabling stay ended; a new login works.
      expectError(await me(session.auth), 401, 'UNAUTHORIZED');
      expect((await me((await login(user.email)).auth)).status).toBe(200);
    });

    it('demotes an admin: tokens stop at once; a promoted member uses admin routes with their token', async () => {
      const admin = await t.adminAuth();
      const second = await newUser('admin');
      const session = await login(second.email);
      expect((await t.http.get('/api/users').set('Authorization', session.auth)).status).toBe(200);
      const demoted = await t.http
        .patch(`/api/users/${second.id}`)
        .set('Authorization', admin)
        .send({ role: 'member' });
      expect(demoted.status).toBe(200);
      expect(demoted.body).toMatchObject({ role: 'member', disabled: false });
      expectError(await me(session.auth), 401, 'UNAUTHORIZED');
      expectError(await refresh(session.refreshToken), 401, 'INVALID_REFRESH_TOKEN');
      const again = await login(second.email);
      expectError(await t.http.get('/api/users').set('Authorization', again.auth), 403, 'FORBIDDEN');

      const promoted = await t.http
        .patch(`/api/users/${second.id}`)
        .set('Authorization', admin)
        .send({ role: 'admin' });
      expect(promoted.body).toMatchObject({ role: 'admin' });
      expect((await t.http.get('/api/users').set('Authorization', again.auth)).status).toBe(200);
    });

    it('validates: 400 for bad fields, 404 for an unknown id, 400 for a malformed one, 403 for members', async () => {
      const admin = await t.adminAuth();
      const user = await newUser();
      const bad = await t.http
        .patch(`/api/users/${user.id}`)
        .set('Authorization', admin)
        .send({ role: 'owner', disabled: 'yes', email: 'x@y.z' });
      expectError(bad, 400, 'VALIDATION_FAILED');
      expect((bad.body.details.fields as Array<{ field: string }>).map(({ field }) => field).sort()).toEqual([
        'disabled',
        'email',
        'role',
      ]);
      expectError(
        await t.http
          .patch('/api/users/00000000-0000-4000-8000-000000000000')
          .set('Authorization', admin)
          .send({ disabled: true }),
        404,
        'NOT_FOUND',
      );
      expectError(
        await t.http.patch('/api/users/nope').set('Authorization', admin).send({ disabled: true }),
        400,
        'VALIDATION_FAILED',
      );
      const member = await login(user.email);
      expectError(
        await t.http.patch(`/api/users/${user.id}`).set('Authorization', member.auth).send({ role: 'admin' }),
        403,
        'FORBIDDEN',
      );
    });
  });

  describe('across instances', () => {
    it('a revocation on one instance holds on another at once (the database decides, nothing is cached)', async () => {
      const other = await createTestApp({ databaseUrl: t.databaseUrl });
      try {
        const admin = await t.adminAuth();
        const user = await newUser();
        const session = await login(user.email);
        const onOther = (auth: string) => other.http.get('/api/auth/me').set('Authorization', auth);
        expect((await onOther(session.auth)).status).toBe(200);
        // Rotated here, reused there: the family is revoked for both.
        const rotated = await refresh(session.refreshToken);
        expectError(
          await other.http.post('/api/auth/refresh').send({ refreshToken: session.refreshToken }),
          401,
          'INVALID_REFRESH_TOKEN',
        );
        expectError(await me(`Bearer ${rotated.body.accessToken}`), 401, 'UNAUTHORIZED');

        const fresh = await login(user.email);
        expect((await onOther(fresh.auth)).status).toBe(200);
        expect(
          (await t.http.patch(`/api/users/${user.id}`).set('Authorization', admin).send({ disabled: true })).status,
        ).toBe(200);
        expectError(await onOther(fresh.auth), 401, 'UNAUTHORIZED');
      } finally {
        await other.close();
      }
    });
  });

  describe('e-mails and names', () => {
    /** Creates members as the admin, answering the raw response. */
    async function userCreator() {
      const admin = await t.adminAuth();
      return (email: string) =>
        t.http
          .post('/api/users')
          .set('Authorization', admin)
          .send({ email, password: MEMBER_PASSWORD, role: 'member' });
    }

    it('normalises e-mails (NFKC, case, spaces): a full-width address is the same account', async () => {
      const create = await userCreator();
      const first = await create('ann@example.com');
      expect(first.status).toBe(201);
      expectError(await create('ａｎｎ@example.com'), 409, 'EMAIL_TAKEN');
      expectError(await create('ＡＮＮ@ＥＸＡＭＰＬＥ.ＣＯＭ'), 409, 'EMAIL_TAKEN');
      expectError(await create(' Ann@Example.com '), 409, 'EMAIL_TAKEN');
      const login = await t.http
        .post('/api/auth/login')
        .send({ email: 'ａｎｎ@ｅｘａｍｐｌｅ.ｃｏｍ', password: MEMBER_PASSWORD });
      expect(login.status).toBe(200);
      expect(login.body.user.id).toBe(first.body.id);
    });

    it('stores a full-width address in plain form, compares non-ASCII letters whatever their case', async () => {
      const create = await userCreator();
      const wide = await create('ｂｏｂ@example.com');
      expect(wide.status).toBe(201);
      expect(wide.body).toMatchObject({ email: 'bob@example.com', name: 'bob' });
      expect((await create('Émile@example.com')).status).toBe(201);
      expectError(await create('émile@example.com'), 409, 'EMAIL_TAKEN');
      // Decomposed é (e + combining accent) is the same letter.
      expectError(await create('e\u0301mile@example.com'), 409, 'EMAIL_TAKEN');
    });

    it('refuses an address with invisible characters, which would show (and name itself) as another', async () => {
      const create = await userCreator();
      expect((await create('eve@example.com')).status).toBe(201);
      for (const email of [
        'eve\u200b@example.com',
        'eve\u00ad@example.com',
        '\u202eeve@example.com',
        'e\u2060ve@example.com',
      ]) {
        const response = await create(email);
        expectError(response, 400, 'VALIDATION_FAILED');
        expect((response.body.details.fields as Array<{ field: string }>).map(({ field }) => field)).toEqual(['email']);
      }
      const users = await t
        .get(DataSource)
        .query("SELECT email FROM users WHERE regexp_replace(email, '[^a-z@.]', '', 'g') = 'eve@example.com'");
      expect(users).toEqual([{ email: 'eve@example.com' }]);
    });

    it('gives users a display name: the local part by default, or the one given (trimmed, 1-100 chars)', async () => {
      const admin = await t.adminAuth();
      const create = (body: Record<string, unknown>) =>
        t.http
          .post('/api/users')
          .set('Authorization', admin)
          .send({ password: MEMBER_PASSWORD, role: 'member', ...body });
      expect((await create({ email: 'carol.smith@example.com' })).body).toMatchObject({ name: 'carol.smith' });
      const named = await create({ email: 'dave@example.com', name: '  Dave Jones ' });
      expect(named.status).toBe(201);
      expect(named.body).toMatchObject({ name: 'Dave Jones' });
      const me = await t.http.get('/api/auth/me').set('Authorization', (await login('dave@example.com')).auth);
      expect(me.body.name).toBe('Dave Jones');
      for (const name of ['   ', 'x'.repeat(101), 42]) {
        const response = await create({ email: `name-${String(name).length}@example.com`, name });
        expectError(response, 400, 'VALIDATION_FAILED');
        expect((response.body.details.fields as Array<{ field: string }>).map(({ field }) => field)).toEqual(['name']);
      }
    });
  });

  // Last: it leaves one active admin, whichever of the two racing admins won.
  describe('the last active admin', () => {
    it('cannot be demoted or disabled (409 LAST_ADMIN), also when two admins demote each other at once', async () => {
      const admin = await t.adminAuth();
      const dataSource = t.get(DataSource);
      const [{ id: bootstrapId }] = await dataSource.query<Array<{ id: string }>>(
        `SELECT id FROM users WHERE email = $1`,
        [ADMIN_EMAIL],
      );
      const others = await dataSource.query<Array<{ id: string }>>(
        `SELECT id FROM users WHERE role = 'admin' AND NOT disabled AND id <> $1`,
        [bootstrapId],
      );
      for (const { id } of others) {
        expect(
          (await t.http.patch(`/api/users/${id}`).set('Authorization', admin).send({ role: 'member' })).status,
        ).toBe(200);
      }
      expectError(
        await t.http.patch(`/api/users/${bootstrapId}`).set('Authorization', admin).send({ role: 'member' }),
        409,
        'LAST_ADMIN',
      );
      expectError(
        await t.http.patch(`/api/users/${bootstrapId}`).set('Authorization', admin).send({ disabled: true }),
        409,
        'LAST_ADMIN',
      );
      // Refused means unchanged: still an admin, still logged in.
      expect((await me(admin)).body).toMatchObject({ role: 'admin', disabled: false });
      // Changing nothing, or disabling a disabled admin, is no demotion.
      expect(
        (await t.http.patch(`/api/users/${bootstrapId}`).set('Authorization', admin).send({ role: 'admin' })).status,
      ).toBe(200);

      const second = await newUser('admin');
      const secondSession = await login(second.email);
      const [first, other] = await Promise.all([
        t.http.patch(`/api/users/${second.id}`).set('Authorization', admin).send({ role: 'member' }),
        t.http.patch(`/api/users/${bootstrapId}`).set('Authorization', secondSession.auth).send({ disabled: true }),
      ]);
      const statuses = [first.status, other.status].sort();
      // One wins; the loser either hits LAST_ADMIN or finds its own token revoked by the winner (401).
      expect(statuses[0]).toBe(200);
      expect([401, 409]).toContain(statuses[1]);
      const [{ count }] = await dataSource.query<Array<{ count: number }>>(
        `SELECT count(*)::int AS count FROM users WHERE role = 'admin' AND NOT disabled`,
      );
      expect(count).toBe(1);
    });
  });
});
