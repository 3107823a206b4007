import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForbiddenException } from '../common/errors/domain.exception.js';
import { IS_PUBLIC, REQUIRED_ROLES, type RequestWithUser } from './auth.decorators.js';
import { UnauthorizedException } from './auth.errors.js';
import { AuthService } from './auth.service.js';
import type { UserRole } from './user.entity.js';

/** Global: every route needs a valid bearer token unless marked `@Public()`. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<RequestWithUser>();
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    const token = bearerTokenOf(request.headers.authorization);
    if (token === undefined) {
      if (isPublic) return true;
      throw new UnauthorizedException();
    }
    request.user = await this.auth.authenticate(token);
    return true;
  }
}

/** Global: routes marked `@Roles(...)` are refused (403) to callers without one of the roles. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<UserRole[] | undefined>(REQUIRED_ROLES, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!roles?.length) return true;
    const user = context.switchToHttp().getRequest<RequestWithUser>().user;
    if (!user) throw new UnauthorizedException();
    if (!roles.includes(user.role)) throw new ForbiddenException('This action needs the admin role');
    return true;
  }
}

/** `Bearer <token>` → token; no header → undefined; any other scheme or shape → 401. */
function bearerTokenOf(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new UnauthorizedException('The Authorization header must be "Bearer <token>"');
  return match[1];
}
