import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/openapi/api-errors.decorator.js';
import { AuthService } from './auth.service.js';
import { CurrentUser, Public } from './auth.decorators.js';
import type { AuthenticatedUser } from './authenticated-user.js';
import { LoginDto } from './dto/auth.dto.js';
import { LoginResponse, UserResponse } from './dto/user.response.js';
import { UsersService, toUserView } from './users.service.js';
import { RateLimit } from '../http/rate-limit.js';
import { UnauthorizedException } from './auth.errors.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
  ) {}

  @Public()
  @RateLimit('login')
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ operationId: 'logIn' })
  @ApiOkResponse({ type: LoginResponse })
  @ApiErrors(429)
  login(@Body() body: LoginDto): Promise<LoginResponse> {
    return this.auth.login(body.email, body.password);
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
