/**
 * login, the current user, user administration and the two global guards, through HTTP on
 * the real application and a real database.
 */
import { DataSource } from 'typeorm';
import { useTestApp, ADMIN_EMAIL, ADMIN_PASSWORD, MEMBER_PASSWORD } from '../support/app.js';
import { expectError } from '../support/errors.js';

const USER_KEYS = ['createdAt', 'disabled', 'email', 'id', 'name', 'role'];

/** Whatever the endpoint, no response body may ever carry a password hash. */
function expectNoPasswordHash(body: unknown): void {
  const text = JSON.stringify(body);
  expect(text).not.toMatch(/password/i);
  expect(text).not.toMatch(/\$argon2/);
}

describe('auth and users', () => {
  const t = useTestApp();

  describe('POST /api/auth/login', () => {
    it('answers a bearer token and the user, without any password hash', async () => {
      const response = await t.http.post('/api/auth/login').send({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        accessToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: 3600,
        refreshToken: expect.any(String),
        user: {
          id: expect.any(String),
          email: ADMIN_EMAIL,
          name: 'admin',
          role: 'admin',
          disabled: false,
          createdAt: expect.any(String),
        },
      });
      expect(new Date(response.body.user.createdAt).toISOString()).toBe(response.body.user.createdAt);
      expectNoPasswordHash(response.body.user);
    });

    it('matches the email whatever its case and surrounding spaces', async () => {
      const response = await t.http
        .post('/api/auth/login')
        .send({ email: `  ${ADMIN_EMAIL.toUpperCase()} `, password: ADMIN_PASSWORD });
      expect(response.status).toBe(200);
      expect(response.body.user.email).toBe(ADMIN_EMAIL);
    });

    it('gives the same 401 INVALID_CREDENTIALS for a wrong password and an unknown email', async () => {
      const wrongPassword = await t.http
        .post('/api/auth/login')
        .send({ email: ADMIN_EMAIL, password: 'not-the-password' });
      const unknownEmail = await t.http
        .post('/api/auth/login')
        .send({ email: 'nobody@test.local', password: ADMIN_PASSWORD });
      expectError(wrongPassword, 401, 'INVALID_CREDENTIALS');
      expectError(unknownEmail, 401, 'INVALID_CREDENTIALS');
      const { requestId: _a, ...first } = wrongPassword.body;
      const { requestId: _b, ...second } = unknownEmail.body;
      expect(first).toEqual(second);
    });

    it('refuses a body without credentials with 400 VALIDATION_FAILED', async () => {
      const response = await t.http.post('/api/auth/login').send({});
      expectError(response, 400, 'VALIDATION_FAILED');
      const fields = (response.body.details.fields as Array<{ field: string }>).map(({ field }) => field).sort();
      expect(fields).toEqual(['email', 'password']);
    });
  });

  describe('GET /api/auth/me', () => {
    it('answers the caller', async () => {
      const member = await t.createUser('member');
      const response = await t.http.get('/api/auth/me').set('Authorization', member.auth);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        id: member.id,
        email: member.email,
        name: member.email.split('@')[0],
        role: 'member',
        disabled: false,
        createdAt: expect.any(String),
      });
    });

    it('answers 401 UNAUTHORIZED without a token, with a bad token, and with another scheme', async () => {
      expectError(await t.http.get('/api/auth/me'), 401, 'UNAUTHORIZED');
      expectError(await t.http.get('/api/auth/me').set('Authorization', 'Bearer not.a.jwt'), 401, 'UNAUTHORIZED');
      expectError(await t.http.get('/api/auth/me').set('Authorization', 'Basic YWRtaW46YWRtaW4='), 401, 'UNAUTHORIZED');
    });

    it('refuses a token signed with another secret', async () => {
      const [header, payload] = (await t.adminAuth()).slice('Bearer '.length).split('.');
      const forged = `Bearer ${header}.${payload}.${Buffer.from('forged-signature').toString('base64url')}`;
      expectError(await t.http.get('/api/auth/me').set('Authorization', forged), 401, 'UNAUTHORIZED');
    });

    it('stops accepting the token of a user who no longer exists', async () => {
      const member = await t.createUser('member');
      await t.get(DataSource).query('DELETE FROM users WHERE id = $1', [member.id]);
      expectError(await t.http.get('/api/auth/me').set('Authorization', member.auth), 401, 'UNAUTHORIZED');
    });

    it('still checks a token sent to a public route', async () => {
      expectError(await t.http.get('/api/health').set('Authorization', 'Bearer not.a.jwt'), 401, 'UNAUTHORIZED');
    });
  });

  describe('POST /api/users', () => {
    it('lets an admin create a user, who can then log in; no password hash in the answer', async () => {
      const admin = await t.adminAuth();
      const response = await t.http
        .post('/api/users')
        .set('Authorization', admin)
        .send({ email: 'Created.User@Test.Local', password: 'created-password', role: 'member' });
      expect(response.status).toBe(201);
      expect(Object.keys(response.body).sort()).toEqual(USER_KEYS);
      expect(response.body).toMatchObject({ email: 'Created.User@Test.Local', role: 'member' });
      expectNoPasswordHash(response.body);
      const login = await t.http
        .post('/api/auth/login')
        .send({ email: 'created.user@test.local', password: 'created-password' });
      expect(login.status).toBe(200);
      expect(login.body.user.id).toBe(response.body.id);
    });

    it('answers 409 EMAIL_TAKEN for an email in use, whatever its case', async () => {
      const admin = await t.adminAuth();
      const body = { email: 'twice@test.local', password: 'twice-password', role: 'member' };
      expect((await t.http.post('/api/users').set('Authorization', admin).send(body)).status).toBe(201);
      expectError(await t.http.post('/api/users').set('Authorization', admin).send(body), 409, 'EMAIL_TAKEN');
      expectError(
        await t.http
          .post('/api/users')
          .set('Authorization', admin)
          .send({ ...body, email: 'TWICE@Test.Local' }),
        409,
        'EMAIL_TAKEN',
      );
      expectError(
        await t.http
          .post('/api/users')
          .set('Authorization', admin)
          .send({ ...body, email: ADMIN_EMAIL.toUpperCase() }),
        409,
        'EMAIL_TAKEN',
      );
    });

    it('lets exactly one of several concurrent creations of one email win', async () => {
      const admin = await t.adminAuth();
      const responses = await Promise.all(
        ['race@test.local', 'RACE@test.local', 'Race@Test.Local'].map((email) =>
          t.http
            .post('/api/users')
            .set('Authorization', admin)
            .send({ email, password: 'race-password', role: 'member' }),
        ),
      );
      expect(responses.map((response) => response.status).sort()).toEqual([201, 409, 409]);
    });

    it('validates the body: 400 VALIDATION_FAILED with every offending field', async () => {
      const admin = await t.adminAuth();
      const response = await t.http
        .post('/api/users')
        .set('Authorization', admin)
        .send({ email: 'not-an-email', password: 'short', role: 'owner', isAdmin: true });
      expectError(response, 400, 'VALIDATION_FAILED');
      const fields = (response.body.details.fields as Array<{ field: string; errors: string[] }>)
        .map(({ field }) => field)
        .sort();
      expect(fields).toEqual(['email', 'isAdmin', 'password', 'role']);
    });

    it('is refused to members (403 FORBIDDEN) and to anonymous callers (401 UNAUTHORIZED)', async () => {
      const member = await t.createUser('member');
      const body = { email: 'sneaky@test.local', password: 'sneaky-password', role: 'admin' };
      expectError(await t.http.post('/api/users').set('Authorization', member.auth).send(body), 403, 'FORBIDDEN');
      expectError(await t.http.post('/api/users').send(body), 401, 'UNAUTHORIZED');
      const [{ count }] = await t
        .get(DataSource)
        .query(`SELECT count(*)::int AS count FROM users WHERE email = $1`, [body.email]);
      expect(count).toBe(0);
    });
  });

  describe('GET /api/users', () => {
    it('is refused to members (403) and to anonymous callers (401)', async () => {
      const member = await t.createUser('member');
      expectError(await t.http.get('/api/users').set('Authorization', member.auth), 403, 'FORBIDDEN');
      expectError(await t.http.get('/api/users'), 401, 'UNAUTHORIZED');
    });

    it('lets an admin created through the API use admin routes (roles come from the database)', async () => {
      const second = await t.createUser('admin');
      expect((await t.http.get('/api/users').set('Authorization', second.auth)).status).toBe(200);
    });

    it('answers the contract page shape, with no password hash anywhere', async () => {
      const admin = await t.adminAuth();
      const all = await t.http.get('/api/users').set('Authorization', admin);
      expect(all.status).toBe(200);
      expect(all.body).toMatchObject({ page: 1, pageSize: 20, hasPrevious: false });
      const total = all.body.count as number;
      expect(total).toBeGreaterThanOrEqual(3);
      for (const user of all.body.results) expect(Object.keys(user).sort()).toEqual(USER_KEYS);
      expectNoPasswordHash(all.body);

      const pageSize = 2;
      const totalPages = Math.ceil(total / pageSize);
      const seen: string[] = [];
      for (let page = 1; page <= totalPages; page++) {
        const response = await t.http.get('/api/users').query({ page, pageSize }).set('Authorization', admin);
        expect(response.status).toBe(200);
        expect(response.body).toEqual({
          results: expect.any(Array),
          count: total,
          page,
          pageSize,
          totalPages,
          hasNext: page < totalPages,
          hasPrevious: page > 1,
        });
        seen.push(...response.body.results.map((user: { id: string }) => user.id));
      }
      // Stable order: every user exactly once across the pages.
      expect(new Set(seen).size).toBe(total);
      expect(seen.length).toBe(total);

      const beyond = await t.http
        .get('/api/users')
        .query({ page: totalPages + 1, pageSize })
        .set('Authorization', admin);
      expect(beyond.body).toMatchObject({ results: [], count: total, hasNext: false, hasPrevious: true });
    });

    it('refuses pagination outside its bounds with 400 VALIDATION_FAILED', async () => {
      const admin = await t.adminAuth();
      for (const query of [{ pageSize: 101 }, { pageSize: 0 }, { page: 0 }, { page: 'two' }]) {
        const response = await t.http.get('/api/users').query(query).set('Authorization', admin);
        expectError(response, 400, 'VALIDATION_FAILED');
        expect(response.body.details.fields.length).toBeGreaterThan(0);
      }
    });
  });

  it('a member created by the harness logs in with the member password', async () => {
    const member = await t.createUser('member');
    expect(await t.login(member.email, MEMBER_PASSWORD)).toMatch(/^Bearer /);
  });
});
