import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { DataSource } from 'typeorm';
import { authConfig } from '../config/configuration.js';
import { AccountDisabledException, InvalidCredentialsException, UnauthorizedException } from './auth.errors.js';
import type { AuthenticatedUser } from './authenticated-user.js';
import type { LoginResponse } from './dto/user.response.js';
import { emailKeyOf } from './emails.js';
import { LoginThrottle } from './login-throttle.js';
import { PasswordHasher } from './password-hasher.js';
import { SessionsService } from './sessions.service.js';
import type { User, UserRole } from './user.entity.js';
import { toUserView, UsersService } from './users.service.js';

export type LoginResult = LoginResponse;

/** `sid` is the session the token was issued for: the guard refuses the token once that session is revoked. */
interface TokenClaims {
  sub: string;
  sid: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class AuthService {
  /** Verified against when the email is unknown, so both failures cost the same time. */
  private decoyHash?: Promise<string>;

  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
    private readonly jwt: JwtService,
    private readonly dataSource: DataSource,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  /** `address` is the client's (behind trusted proxies, the forwarded one): the throttle counts per address. */
  async login(email: string, password: string, address: string): Promise<LoginResult> {
    const accountKey = emailKeyOf(email);
    this.throttle.check(address, accountKey);
    const user = await this.users.findWithPasswordByEmail(email);
    const valid = user ? await this.hasher.verify(user.passwordHash, password) : await this.verifyDecoy(password);
    if (!user || !valid) {
      this.throttle.recordFailure(address, accountKey);
      throw new InvalidCredentialsException();
    }
    this.throttle.recordSuccess(address, accountKey);
    // Only after the right password: a disabled account is not revealed to someone guessing.
    if (user.disabled) throw new AccountDisabledException();
    const { sessionId, refreshToken } = await this.sessions.start(user.id);
    return this.issue(user, sessionId, refreshToken);
  }

  /** Rotates a refresh token: a new access token and the session's next refresh token. */
  async refresh(refreshToken: string): Promise<LoginResult> {
    const rotated = await this.sessions.rotate(refreshToken);
    const user = await this.users.findById(rotated.userId);
    if (!user) throw new UnauthorizedException();
    return this.issue(user, rotated.sessionId, rotated.refreshToken);
  }

  /**
   * With a refresh token: ends that token's session (one of the caller's; others' tokens are ignored). Without:
   * ends the session the caller's access token belongs to. Either way that session's access tokens stop working.
   */
  async logout(caller: AuthenticatedUser, refreshToken?: string): Promise<void> {
    if (refreshToken) await this.sessions.revokeByRefreshToken(refreshToken, caller.id);
    else if (caller.sessionId) await this.sessions.revoke(caller.sessionId, 'logout');
  }

  /**
   * Changes the caller's own password after checking the current one (throttled like a login, since it is one).
   * The caller's session stays; every other session of theirs ends (a thief's included).
   */
  async changePassword(
    caller: AuthenticatedUser,
    currentPassword: string,
    newPassword: string,
    address: string,
  ): Promise<void> {
    const user = await this.users.findWithPasswordById(caller.id);
    if (!user) throw new UnauthorizedException();
    const accountKey = emailKeyOf(user.email);
    this.throttle.check(address, accountKey);
    if (!(await this.hasher.verify(user.passwordHash, currentPassword))) {
      this.throttle.recordFailure(address, accountKey);
      throw new InvalidCredentialsException('The current password is wrong');
    }
    await this.users.setPassword(user.id, newPassword, caller.sessionId);
  }

  /**
   * The user a bearer token speaks for. One indexed query on every request decides, on every instance at once:
   * the user must exist and not be disabled, and the token's session must not be revoked (logout, password change,
   * demotion, refresh-token reuse). The role comes from the row, never from the token.
   */
  async authenticate(token: string): Promise<AuthenticatedUser> {
    let claims: Partial<TokenClaims>;
    try {
      claims = await this.jwt.verifyAsync<TokenClaims & object>(token);
    } catch {
      throw new UnauthorizedException('The access token is invalid or expired');
    }
    const { sub, sid } = claims;
    if (typeof sub !== 'string' || typeof sid !== 'string' || !UUID.test(sub) || !UUID.test(sid)) {
      throw new UnauthorizedException('The access token is invalid or expired');
    }
    const user = await this.activeUser(sub, sid);
    if (!user) throw new UnauthorizedException('The access token is invalid, expired or revoked');
    return user;
  }

  /**
   * The user as they are now, when they exist, are not disabled and (with `sessionId`) that session of theirs is not
   * revoked; otherwise undefined. The role comes from the row. Also decides a signed media URL's signer.
   */
  async activeUser(userId: string, sessionId?: string): Promise<AuthenticatedUser | undefined> {
    const [user] = await this.dataSource.query<Array<{ id: string; email: string; role: UserRole }>>(
      sessionId === undefined
        ? `SELECT u.id, u.email, u.role FROM users u WHERE u.id = $1 AND NOT u.disabled`
        : `SELECT u.id, u.email, u.role FROM users u JOIN auth_sessions s ON s.user_id = u.id
            WHERE u.id = $1 AND s.id = $2 AND s.revoked_at IS NULL AND NOT u.disabled`,
      sessionId === undefined ? [userId] : [userId, sessionId],
    );
    return user && (sessionId === undefined ? user : { ...user, sessionId });
  }

  private async issue(user: User, sessionId: string, refreshToken: string): Promise<LoginResult> {
    const accessToken = await this.jwt.signAsync({ sub: user.id, sid: sessionId } satisfies TokenClaims, {
      expiresIn: this.config.jwtExpiresInSeconds,
    });
    return {
      accessToken,
      tokenType: 'Bearer',
      expiresIn: this.config.jwtExpiresInSeconds,
      refreshToken,
      user: toUserView(user),
    };
  }

  private async verifyDecoy(password: string): Promise<false> {
    this.decoyHash ??= this.hasher.hash('decoy-password-for-timing');
    await this.hasher.verify(await this.decoyHash, password);
    return false;
  }
}
