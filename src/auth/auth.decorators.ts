import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { AuthenticatedUser } from './authenticated-user.js';
import type { UserRole } from './user.entity.js';

export const IS_PUBLIC = 'auth:isPublic';
export const REQUIRED_ROLES = 'auth:roles';

/** Anyone may call this route; a bearer token is still read (and must be valid) when one is sent. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Only callers with one of these roles; others get 403. */
export const Roles = (...roles: UserRole[]) => SetMetadata(REQUIRED_ROLES, roles);

export type RequestWithUser = Request & { user?: AuthenticatedUser };

/** The authenticated caller (or `undefined` on a public route called anonymously). */
export const CurrentUser = createParamDecorator(
  (_: unknown, context: ExecutionContext): AuthenticatedUser | undefined =>
    context.switchToHttp().getRequest<RequestWithUser>().user,
);
