import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/openapi/api-errors.decorator.js';
import { PaginationQueryDto } from '../common/pagination.js';
import { ParseUuidPipe } from '../common/parse-uuid.pipe.js';
import { Roles } from './auth.decorators.js';
import { CreateUserDto, UpdateUserDto } from './dto/auth.dto.js';
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
    return toUserView(await this.users.create(body.email, body.password, body.role, body.name));
  }

  @Get()
  @ApiOperation({ operationId: 'listUsers' })
  @ApiOkResponse({ type: UserPageResponse })
  list(@Query() query: PaginationQueryDto): Promise<UserPageResponse> {
    return this.users.list(query);
  }

  @Patch(':id')
  @ApiOperation({
    operationId: 'updateUser',
    summary: 'Change role or disabled; disabling or demoting ends their sessions; never the last active admin (409)',
  })
  @ApiOkResponse({ type: UserResponse })
  @ApiErrors(404, 409)
  async update(@Param('id', ParseUuidPipe) id: string, @Body() body: UpdateUserDto): Promise<UserResponse> {
    return toUserView(await this.users.update(id, body));
  }
}
