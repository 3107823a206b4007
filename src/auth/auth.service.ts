import { Injectable } from '@nestjs/common';
import { Inject } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { authConfig } from '../config/configuration.js';
import { InvalidCredentialsException, UnauthorizedException } from './auth.errors.js';
import type { AuthenticatedUser } from './authenticated-user.js';
import type { LoginResponse } from './dto/user.response.js';
import { PasswordHasher } from './password-hasher.js';
import { toUserView, UsersService } from './users.service.js';

export type LoginResult = LoginResponse;

interface TokenClaims {
  sub: string;
}

@Injectable()
export class AuthService {
  /** Verified against when the email is unknown, so both failures cost the same time. */
  private decoyHash?: Promise<string>;

  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly jwt: JwtService,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  async login(email: string, password: string): Promise<LoginResult> {
    const user = await this.users.findWithPasswordByEmail(email);
    if (!user) {
      this.decoyHash ??= this.hasher.hash('decoy-password-for-timing');
      await this.hasher.verify(await this.decoyHash, password);
      throw new InvalidCredentialsException();
    }
    if (!(await this.hasher.verify(user.passwordHash, password))) throw new InvalidCredentialsException();
    const accessToken = await this.jwt.signAsync({ sub: user.id } satisfies TokenClaims, {
      expiresIn: this.config.jwtExpiresInSeconds,
    });
    return { accessToken, tokenType: 'Bearer', expiresIn: this.config.jwtExpiresInSeconds, user: toUserView(user) };
  }

  /** The user a bearer token speaks for; the account must still exist (a deleted user's token stops working). */
  async authenticate(token: string): Promise<AuthenticatedUser> {
    let claims: TokenClaims;
    try {
      claims = await this.jwt.verifyAsync<TokenClaims & object>(token);
    } catch {
      throw new UnauthorizedException('The access token is invalid or expired');
    }
    const user = typeof claims.sub === 'string' ? await this.users.findById(claims.sub) : null;
    if (!user) throw new UnauthorizedException('The access token is invalid or expired');
    return { id: user.id, email: user.email, role: user.role };
  }
}
