import type { UserRole } from './user.entity.js';

/** Who is calling: attached to the request by the auth guard; `undefined` for anonymous callers. */
export interface AuthenticatedUser {
  id: string;
  email: string;
  role: UserRole;
  /** The session (login) the access token belongs to; absent for callers not authenticated by a token (CLI). */
  sessionId?: string;
}

export function isAdmin(user: AuthenticatedUser | undefined): boolean {
  return user?.role === 'admin';
}
