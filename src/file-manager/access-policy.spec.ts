import type { AuthenticatedUser } from '../auth/authenticated-user.js';
import { assertMayChange, canManage, canRead, readableCondition } from './access-policy.js';
import type { AccessLevel } from './entities/columns.js';
import { NotYoursException } from './file-manager.errors.js';

const UPLOADER: AuthenticatedUser = { id: 'uploader-id', email: 'uploader@test.local', role: 'member' };
const MEMBER: AuthenticatedUser = { id: 'member-id', email: 'member@test.local', role: 'member' };
const ADMIN: AuthenticatedUser = { id: 'admin-id', email: 'admin@test.local', role: 'admin' };

type Caller = 'anonymous' | 'another member' | 'uploader' | 'admin';
const CALLERS: Record<Caller, AuthenticatedUser | undefined> = {
  anonymous: undefined,
  'another member': MEMBER,
  uploader: UPLOADER,
  admin: ADMIN,
};

/** The contract's table (API.md, access levels): who reads a file of each level. */
const MAY_READ: Record<AccessLevel, Caller[]> = {
  public: ['anonymous', 'another member', 'uploader', 'admin'],
  members: ['another member', 'uploader', 'admin'],
  staff: ['admin'],
  private: ['uploader', 'admin'],
};

const fileOf = (accessLevel: AccessLevel) => ({ accessLevel, createdById: UPLOADER.id });

const cases = (Object.keys(MAY_READ) as AccessLevel[]).flatMap((level) =>
  (Object.keys(CALLERS) as Caller[]).map((caller) => [level, caller, MAY_READ[level].includes(caller)] as const),
);

describe('canRead', () => {
  it.each(cases)('a %s file, read by the %s: %s', (level, caller, allowed) => {
    expect(canRead(fileOf(level), CALLERS[caller])).toBe(allowed);
  });
});

describe('canManage', () => {
  it.each([
    ['anonymous', false],
    ['another member', false],
    ['uploader', true],
    ['admin', true],
  ] as const)('the %s: %s', (caller, allowed) => {
    expect(canManage({ createdById: UPLOADER.id }, CALLERS[caller])).toBe(allowed);
  });

  it("does not take a record without a creator (created_by null) for an anonymous caller's", () => {
    const orphan = { accessLevel: 'private' as const, createdById: null as unknown as string };
    expect(canManage(orphan, undefined)).toBe(false);
    expect(canRead(orphan, undefined)).toBe(false);
    expect(canRead(orphan, ADMIN)).toBe(true);
  });
});

describe('assertMayChange', () => {
  const hidden = () => new Error('not found');
  const change =
    (record: { accessLevel: AccessLevel; createdById: string } | undefined, user: AuthenticatedUser) => () =>
      assertMayChange(record, user, hidden, 'change this file');

  it('passes for the uploader and for an admin', () => {
    expect(change(fileOf('private'), UPLOADER)).not.toThrow();
    expect(change(fileOf('staff'), ADMIN)).not.toThrow();
  });

  it('hides a record that is missing or that the caller may not read', () => {
    expect(change(undefined, ADMIN)).toThrow('not found');
    expect(change(fileOf('private'), MEMBER)).toThrow('not found');
    expect(change(fileOf('staff'), UPLOADER)).toThrow('not found');
  });

  it('refuses (403) a record the caller may read but did not create', () => {
    expect(change(fileOf('members'), MEMBER)).toThrow(NotYoursException);
    expect(change(fileOf('public'), MEMBER)).toThrow('Only the uploader or an admin may change this file');
  });
});

describe('readableCondition', () => {
  it('lets an admin read everything', () => {
    expect(readableCondition(ADMIN)).toEqual({ sql: 'TRUE', params: {} });
  });

  it('shows anonymous callers public files only', () => {
    expect(readableCondition(undefined)).toEqual({ sql: `m.access_level = 'public'`, params: {} });
  });

  it('shows a member public and members files, and private ones of theirs, on the alias asked for', () => {
    expect(readableCondition(MEMBER, 'c')).toEqual({
      sql: `(c.access_level IN ('public', 'members') OR (c.access_level = 'private' AND c.created_by = :viewerId))`,
      params: { viewerId: MEMBER.id },
    });
  });
});
