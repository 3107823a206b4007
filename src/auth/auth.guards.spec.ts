import 'reflect-metadata';
import { Reflector } from '@nestjs/core';
import type { ExecutionContext } from '@nestjs/common';
import { ForbiddenException } from '../common/errors/domain.exception.js';
import { Public, Roles } from './auth.decorators.js';
import { UnauthorizedException } from './auth.errors.js';
import { AuthGuard, RolesGuard } from './auth.guards.js';
import type { AuthService } from './auth.service.js';
import type { AuthenticatedUser } from './authenticated-user.js';

// The guards read the decorators' metadata from the handler function itself, so the specs pass the methods
// unbound; `this: void` says they never use `this`.
class Routes {
  @Roles('admin')
  adminOnly(this: void): void {}

  anyone(this: void): void {}

  @Public()
  open(this: void): void {}
}

@Roles('admin', 'member')
class MembersRoutes {
  handler(this: void): void {}
}

function contextFor(
  target: object,
  handler: (...args: never[]) => unknown,
  request: { headers: Record<string, string>; user?: AuthenticatedUser },
): ExecutionContext {
  return {
    getType: () => 'http',
    getHandler: () => handler,
    getClass: () => target,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
}

const admin: AuthenticatedUser = { id: 'a', email: 'admin@x', role: 'admin' };
const member: AuthenticatedUser = { id: 'm', email: 'member@x', role: 'member' };

describe('RolesGuard', () => {
  const guard = new RolesGuard(new Reflector());
  const routes = Routes.prototype;

  it('lets anyone through a route without @Roles', () => {
    expect(guard.canActivate(contextFor(Routes, routes.anyone, { headers: {}, user: member }))).toBe(true);
  });

  it('lets a caller with the role through', () => {
    expect(guard.canActivate(contextFor(Routes, routes.adminOnly, { headers: {}, user: admin }))).toBe(true);
  });

  it('refuses an authenticated caller without the role with FORBIDDEN (403)', () => {
    expect(() => guard.canActivate(contextFor(Routes, routes.adminOnly, { headers: {}, user: member }))).toThrow(
      ForbiddenException,
    );
  });

  it('refuses an anonymous caller with UNAUTHORIZED (401), not 403', () => {
    expect(() => guard.canActivate(contextFor(Routes, routes.adminOnly, { headers: {} }))).toThrow(
      UnauthorizedException,
    );
  });

  it('reads @Roles on the controller class too', () => {
    const handler = MembersRoutes.prototype.handler;
    expect(guard.canActivate(contextFor(MembersRoutes, handler, { headers: {}, user: member }))).toBe(true);
    expect(() => guard.canActivate(contextFor(MembersRoutes, handler, { headers: {} }))).toThrow(UnauthorizedException);
  });
});

describe('AuthGuard', () => {
  const authenticate = async (token: string): Promise<AuthenticatedUser> => {
    if (token === 'good') return member;
    throw new UnauthorizedException('The access token is invalid or expired');
  };
  const guard = new AuthGuard(new Reflector(), { authenticate } as unknown as AuthService);
  const routes = Routes.prototype;

  it('attaches the authenticated caller to the request', async () => {
    const request = { headers: { authorization: 'Bearer good' } } as {
      headers: Record<string, string>;
      user?: AuthenticatedUser;
    };
    await expect(guard.canActivate(contextFor(Routes, routes.anyone, request))).resolves.toBe(true);
    expect(request.user).toEqual(member);
  });

  it('accepts the scheme in any case', async () => {
    await expect(
      guard.canActivate(contextFor(Routes, routes.anyone, { headers: { authorization: 'bearer good' } })),
    ).resolves.toBe(true);
  });

  it('refuses a protected route without a token, or with another scheme or a bad token', async () => {
    for (const headers of [
      {} as Record<string, string>,
      { authorization: 'Basic Z29vZA==' },
      { authorization: 'Bearer' },
      { authorization: 'Bearer bad' },
    ]) {
      await expect(guard.canActivate(contextFor(Routes, routes.anyone, { headers }))).rejects.toThrow(
        UnauthorizedException,
      );
    }
  });

  it('lets anonymous callers into a @Public route, but still refuses a bad token there', async () => {
    await expect(guard.canActivate(contextFor(Routes, routes.open, { headers: {} }))).resolves.toBe(true);
    await expect(
      guard.canActivate(contextFor(Routes, routes.open, { headers: { authorization: 'Bearer bad' } })),
    ).rejects.toThrow(UnauthorizedException);
  });
});
