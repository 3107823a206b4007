import { isAdmin, type AuthenticatedUser } from '../auth/authenticated-user.js';
import type { AccessLevel } from './entities/columns.js';
import { AccessLevelNotAllowedException, NotYoursException } from './file-manager.errors.js';

/**
 * Who may read a media file, by its access level: `public` anyone (even anonymous), `members` any authenticated
 * user, `staff` admins only, `private` its uploader and admins. A file the caller may not read answers 404.
 */
export function canRead(file: { accessLevel: AccessLevel; createdById: string }, user?: AuthenticatedUser): boolean {
  switch (file.accessLevel) {
    case 'public':
      return true;
    case 'members':
      return user !== undefined;
    case 'staff':
      return isAdmin(user);
    case 'private':
      return isAdmin(user) || file.createdById === user?.id;
  }
}

/** Uploader or admin may change, trash and restore a file. */
export function canManage(file: { createdById: string }, user?: AuthenticatedUser): boolean {
  return isAdmin(user) || (user !== undefined && file.createdById === user.id);
}

/**
 * For a change of a record locked for it (a media file, a collection): a record the caller may not read does not
 * exist for them (`hidden()` is thrown), one they may read but not manage answers 403.
 */
export function assertMayChange(
  record: { accessLevel: AccessLevel; createdById: string } | undefined,
  user: AuthenticatedUser,
  hidden: () => Error,
  action: ConstructorParameters<typeof NotYoursException>[0],
): void {
  if (!record || !canRead(record, user)) throw hidden();
  if (!canManage(record, user)) throw new NotYoursException(action);
}

/**
 * Every path that sets an access level (a file's PATCH, a collection's create and PATCH; approvals are admins', who
 * read every level) refuses one the caller could not read on that record (`createdById`, its creator): saving it
 * would lock them out of what they just changed.
 */
export function assertMayGrant(
  accessLevel: AccessLevel | undefined,
  record: { createdById: string },
  user: AuthenticatedUser,
): void {
  if (accessLevel !== undefined && !canRead({ accessLevel, createdById: record.createdById }, user)) {
    throw new AccessLevelNotAllowedException(accessLevel);
  }
}

/**
 * The same rule as `canRead`, as a SQL condition over the alias `m` (or another table with `access_level` and
 * `created_by`), so visibility is applied in the query (counts and pages are right). The viewer is a named
 * parameter (`:viewerId`); `SqlParams.named` turns it into a positional one of the statement it joins.
 */
export function readableCondition(
  user?: AuthenticatedUser,
  alias = 'm',
): { sql: string; params: Record<string, unknown> } {
  if (isAdmin(user)) return { sql: 'TRUE', params: {} };
  if (!user) return { sql: `${alias}.access_level = 'public'`, params: {} };
  return {
    sql:
      `(${alias}.access_level IN ('public', 'members')` +
      ` OR (${alias}.access_level = 'private' AND ${alias}.created_by = :viewerId))`,
    params: { viewerId: user.id },
  };
}
