/**
 * Issue 13 item 3: the login throttle against both attack shapes seen in the probe. Locking an account's owner out
 * by failing logins for their e-mail must not work (the limit is per address *and* account: it slows the attacker,
 * not the owner); one address spraying passwords over many e-mails is stopped (the limit per address). Both are
 * counted in Prometheus metrics. Client addresses come from X-Forwarded-For (TRUST_PROXY=true), the throttle's
 * clock stands still (no spec depends on how fast the machine is).
 */
import { LoginThrottle } from '../../src/auth/login-throttle.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, MEMBER_PASSWORD, useTestApp } from '../support/app.js';
import { sample } from '../support/metrics.js';

const ACCOUNT_FAILURES = 5;
const ADDRESS_FAILURES = 20;

describe('sessions: login throttle', () => {
  let throttle: LoginThrottle;
  let now: number;

  const t = useTestApp({
    env: {
      LOGIN_RATE_LIMIT: String(ACCOUNT_FAILURES),
      LOGIN_ADDRESS_RATE_LIMIT: String(ADDRESS_FAILURES),
      TRUST_PROXY: 'true',
    },
  });

  beforeAll(async () => {
    throttle = t.get(LoginThrottle);
  });
  beforeEach(() => {
    now = Date.now();
    throttle.now = () => now;
  });

  const loginFrom = (address: string, email: string, password: string) =>
    t.http.post('/api/auth/login').set('X-Forwarded-For', address).send({ email, password });
  const metrics = async () => (await t.http.get('/api/metrics')).text;

  it("cannot lock the owner out: the attacker's address is slowed for that account, the owner's is not", async () => {
    const before = await metrics();
    const attacker = '203.0.113.7';
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 30; attempt += 1) {
      statuses.push((await loginFrom(attacker, ADMIN_EMAIL, `guess-${attempt}-password`)).status);
    }
    expect(statuses.slice(0, ACCOUNT_FAILURES)).toEqual(Array(ACCOUNT_FAILURES).fill(401));
    expect(statuses.slice(ACCOUNT_FAILURES)).toEqual(Array(30 - ACCOUNT_FAILURES).fill(429));
    // Even the right password waits, from the attacker's address: anything else would tell the attacker when a
    // guess was right.
    const held = await loginFrom(attacker, ADMIN_EMAIL, ADMIN_PASSWORD);
    expect(held.status).toBe(429);
    expect(Number(held.headers['retry-after'])).toBe(1);

    // The owner, from their own address, logs in at once: the admin (or anyone) cannot be locked out.
    expect((await loginFrom('198.51.100.20', ADMIN_EMAIL, ADMIN_PASSWORD)).status).toBe(200);

    const after = await metrics();
    const throttled = (text: string, scope: string) =>
      sample(text, 'mediavault_login_throttled_total', { scope }) ?? NaN;
    expect(throttled(after, 'account') - throttled(before, 'account')).toBe(30 - ACCOUNT_FAILURES + 1);
    expect(throttled(after, 'address') - throttled(before, 'address')).toBe(0);
    const failures = (text: string) => sample(text, 'mediavault_login_failures_total') ?? NaN;
    expect(failures(after) - failures(before)).toBe(ACCOUNT_FAILURES);
  });

  it('slows the owner behind the same address without locking them out: after the wait, login works', async () => {
    const user = await t.createUser('member', 'shared-office@test.local');
    const office = '192.0.2.44';
    for (let attempt = 0; attempt < ACCOUNT_FAILURES; attempt += 1) {
      expect((await loginFrom(office, user.email, 'typo-password')).status).toBe(401);
    }
    const held = await loginFrom(office, user.email, MEMBER_PASSWORD);
    expect(held.status).toBe(429);
    now += Number(held.headers['retry-after']) * 1000;
    expect((await loginFrom(office, user.email, MEMBER_PASSWORD)).status).toBe(200);
    // The success cleared the slate: the next typo is answered 401 at once, not held.
    expect((await loginFrom(office, user.email, 'typo-password')).status).toBe(401);
  });

  it('stops one address spraying passwords over many e-mails; other addresses log in as usual', async () => {
    const before = await metrics();
    const sprayer = '203.0.113.99';
    const statuses: number[] = [];
    for (let index = 0; index < 60; index += 1) {
      statuses.push((await loginFrom(sprayer, `target${index}@test.local`, 'Password1!')).status);
    }
    expect(statuses.slice(0, ADDRESS_FAILURES)).toEqual(Array(ADDRESS_FAILURES).fill(401));
    expect(statuses.slice(ADDRESS_FAILURES)).toEqual(Array(60 - ADDRESS_FAILURES).fill(429));
    const held = await loginFrom(sprayer, ADMIN_EMAIL, ADMIN_PASSWORD);
    expect(held.status).toBe(429);
    expect(held.body).toMatchObject({ code: 'TOO_MANY_REQUESTS', details: { retryAfterSeconds: 60 } });

    expect((await loginFrom('198.51.100.21', ADMIN_EMAIL, ADMIN_PASSWORD)).status).toBe(200);
    // A minute later the address may try again.
    now += 60_000;
    expect((await loginFrom(sprayer, ADMIN_EMAIL, ADMIN_PASSWORD)).status).toBe(200);

    const after = await metrics();
    const throttled = (text: string, scope: string) =>
      sample(text, 'mediavault_login_throttled_total', { scope }) ?? NaN;
    expect(throttled(after, 'address') - throttled(before, 'address')).toBe(60 - ADDRESS_FAILURES + 1);
    expect(throttled(after, 'account') - throttled(before, 'account')).toBe(0);
  });
});
