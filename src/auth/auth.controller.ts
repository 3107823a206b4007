import { Body, Controller, Get, HttpCode, Ip, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/openapi/api-errors.decorator.js';
import { AuthService } from './auth.service.js';
import { CurrentUser, Public } from './auth.decorators.js';
import type { AuthenticatedUser } from './authenticated-user.js';
import { ChangePasswordDto, LoginDto, LogoutDto, RefreshDto } from './dto/auth.dto.js';
import { LoginResponse, UserResponse } from './dto/user.response.js';
import { UsersService, toUserView } from './users.service.js';
import { UnauthorizedException } from './auth.errors.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
  ) {}

  /** Throttled per address and per address+account inside the service (it needs to know whether it failed). */
  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ operationId: 'logIn' })
  @ApiOkResponse({ type: LoginResponse })
  @ApiErrors(403, 429)
  login(@Body() body: LoginDto, @Ip() address: string): Promise<LoginResponse> {
    return this.auth.login(body.email, body.password, address);
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({ operationId: 'refreshSession', summary: 'Rotate a refresh token (a reused one revokes its session)' })
  @ApiOkResponse({ type: LoginResponse })
  refresh(@Body() body: RefreshDto): Promise<LoginResponse> {
    return this.auth.refresh(body.refreshToken);
  }

  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ operationId: 'logOut', summary: "End the refresh token's session, or else the current one" })
  @ApiNoContentResponse()
  async logout(@Body() body: LogoutDto, @CurrentUser() caller: AuthenticatedUser): Promise<void> {
    await this.auth.logout(caller, body.refreshToken);
  }

  @Post('password')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ operationId: 'changePassword', summary: "Change one's own password; ends one's other sessions" })
  @ApiNoContentResponse()
  @ApiErrors(429)
  async changePassword(
    @Body() body: ChangePasswordDto,
    @CurrentUser() caller: AuthenticatedUser,
    @Ip() address: string,
  ): Promise<void> {
    await this.auth.changePassword(caller, body.currentPassword, body.newPassword, address);
  }

  @Get('me')
  @ApiBearerAuth()
  @ApiOperation({ operationId: 'getCurrentUser' })
  @ApiOkResponse({ type: UserResponse })
  async me(@CurrentUser() caller: AuthenticatedUser): Promise<UserResponse> {
    const user = await this.users.findById(caller.id);
    if (!user) throw new UnauthorizedException();
    return toUserView(user);
  }
}
