import { TooManyRequestsException } from '../http/rate-limit.js';
import { addressKeyOf, LoginThrottle } from './login-throttle.js';

function throttle(accountFailures = 3, addressFailures = 5): LoginThrottle {
  const config = {
    loginAccountFailuresBeforeSlowdown: accountFailures,
    loginAddressFailuresPerMinute: addressFailures,
  };
  const instance = new LoginThrottle(config as never);
  instance.onModuleDestroy();
  return instance;
}

describe('LoginThrottle', () => {
  let now: number;
  let subject: LoginThrottle;
  beforeEach(() => {
    now = 1_000_000;
    subject = throttle();
    subject.now = () => now;
  });

  it('lets the first failures of an address and account through, then waits 1 s, 2 s, 4 s … at most 60 s', () => {
    subject = throttle(3, 1000);
    subject.now = () => now;
    for (let index = 0; index < 3; index += 1) {
      expect(subject.waitFor('1.1.1.1', 'ann')).toBeUndefined();
      subject.recordFailure('1.1.1.1', 'ann');
    }
    const waits: number[] = [];
    for (let index = 0; index < 10; index += 1) {
      const wait = subject.waitFor('1.1.1.1', 'ann');
      expect(wait?.scope).toBe('account');
      waits.push(wait!.ms);
      now += wait!.ms;
      expect(subject.waitFor('1.1.1.1', 'ann')).toBeUndefined();
      subject.recordFailure('1.1.1.1', 'ann');
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000, 60000]);
  });

  it("never slows the same account down from another address (the owner's)", () => {
    for (let index = 0; index < 3; index += 1) subject.recordFailure('6.6.6.6', 'ann');
    expect(subject.waitFor('6.6.6.6', 'ann')).toMatchObject({ scope: 'account' });
    expect(subject.waitFor('1.1.1.1', 'ann')).toBeUndefined();
  });

  it('forgets an address and account after a success, and after 15 quiet minutes', () => {
    for (let index = 0; index < 3; index += 1) subject.recordFailure('1.1.1.1', 'ann');
    subject.recordSuccess('1.1.1.1', 'ann');
    expect(subject.waitFor('1.1.1.1', 'ann')).toBeUndefined();
    for (let index = 0; index < 3; index += 1) subject.recordFailure('1.1.1.1', 'bob');
    now += 15 * 60_000 + 1;
    subject.recordFailure('1.1.1.1', 'bob');
    expect(subject.waitFor('1.1.1.1', 'bob')).toBeUndefined();
  });

  it('limits failures per address over all accounts to the budget per minute (spraying)', () => {
    for (let index = 0; index < 5; index += 1) {
      expect(subject.waitFor('6.6.6.6', `user${index}`)).toBeUndefined();
      subject.recordFailure('6.6.6.6', `user${index}`);
      now += 1000;
    }
    expect(subject.waitFor('6.6.6.6', 'someone-new')).toEqual({ scope: 'address', ms: 55_000 });
    expect(subject.waitFor('7.7.7.7', 'someone-new')).toBeUndefined();
    now += 55_000;
    expect(subject.waitFor('6.6.6.6', 'someone-new')).toBeUndefined();
  });

  it('check() throws 429 with whole seconds to wait; a limit of 0 disables its scope', () => {
    for (let index = 0; index < 3; index += 1) subject.recordFailure('1.1.1.1', 'ann');
    now += 1;
    expect(() => subject.check('1.1.1.1', 'ann')).toThrow(TooManyRequestsException);
    try {
      subject.check('1.1.1.1', 'ann');
    } catch (error) {
      expect((error as TooManyRequestsException).details).toEqual({ retryAfterSeconds: 1 });
    }
    const open = throttle(0, 0);
    open.now = () => now;
    for (let index = 0; index < 100; index += 1) open.recordFailure('1.1.1.1', 'ann');
    expect(open.waitFor('1.1.1.1', 'ann')).toBeUndefined();
  });
});

describe('addressKeyOf', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['not-an-address', 'not-an-address'],
  ])('%s counts as %s', (address, key) => {
    expect(addressKeyOf(address)).toBe(key);
  });

  it('counts the addresses of one IPv6 /64 together', () => {
    const subject = throttle(3, 2);
    subject.now = () => 0;
    subject.recordFailure('2001:db8:1:2::a', 'ann');
    subject.recordFailure('2001:db8:1:2::b', 'bob');
    expect(subject.waitFor('2001:db8:1:2::c', 'carol')).toMatchObject({ scope: 'address' });
    expect(subject.waitFor('2001:db8:1:3::c', 'carol')).toBeUndefined();
  });
});
