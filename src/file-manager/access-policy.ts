import { isAdmin, type AuthenticatedUser } from '../auth/authenticated-user.js';
import type { AccessLevel } from './entities/columns.js';

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
 * The same rule as `canRead`, as a SQL condition over the media file alias `m`, so visibility is applied in the
 * query (counts and pages are right). Parameters are named to be merged into a query builder.
 */
export function readableCondition(user?: AuthenticatedUser, alias = 'm'): { sql: string; params: Record<string, unknown> } {
  if (isAdmin(user)) return { sql: 'TRUE', params: {} };
  if (!user) return { sql: `${alias}.access_level = 'public'`, params: {} };
  return {
    sql: `(${alias}.access_level IN ('public', 'members') OR (${alias}.access_level = 'private' AND ${alias}.created_by = :viewerId))`,
    params: { viewerId: user.id },
  };
}
