import { isAdmin, type AuthenticatedUser } from './authenticated-user.js';

/** A user as other records show them (a file's `createdBy`, a pending file's uploaders). */
export interface UserRef {
  id: string;
  name: string;
  email?: string;
}

/**
 * The contract's rule for showing a user to a viewer: everyone sees `{id, name}`; the e-mail address only admins
 * and the user themself (anonymous callers must not harvest uploaders' addresses).
 */
export function userRefFor(user: { id: string; name: string; email: string }, viewer?: AuthenticatedUser): UserRef {
  const ref = { id: user.id, name: user.name };
  return isAdmin(viewer) || viewer?.id === user.id ? { ...ref, email: user.email } : ref;
}
