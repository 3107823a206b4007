import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/openapi/api-errors.decorator.js';
import { PaginationQueryDto } from '../common/pagination.js';
import { Roles } from './auth.decorators.js';
import { CreateUserDto } from './dto/auth.dto.js';
import { UserPageResponse, UserResponse } from './dto/user.response.js';
import { toUserView, UsersService } from './users.service.js';

@ApiTags('users')
@ApiBearerAuth()
@Roles('admin')
@ApiErrors(403)
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @ApiOperation({ operationId: 'createUser' })
  @ApiCreatedResponse({ type: UserResponse })
  @ApiErrors(409)
  async create(@Body() body: CreateUserDto): Promise<UserResponse> {
    return toUserView(await this.users.create(body.email, body.password, body.role));
  }

  @Get()
  @ApiOperation({ operationId: 'listUsers' })
  @ApiOkResponse({ type: UserPageResponse })
  list(@Query() query: PaginationQueryDto): Promise<UserPageResponse> {
    return this.users.list(query);
  }
}
