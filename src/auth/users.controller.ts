import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PaginationQueryDto, type Page } from '../common/pagination.js';
import { ParseUuidPipe } from '../common/parse-uuid.pipe.js';
import { Roles } from './auth.decorators.js';
import { CreateUserDto, UpdateUserDto, UserResponse } from './dto/auth.dto.js';
import { toUserView, UsersService, type UserView } from './users.service.js';

@ApiTags('users')
@ApiBearerAuth()
@Roles('admin')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @ApiCreatedResponse({ type: UserResponse })
  async create(@Body() body: CreateUserDto): Promise<UserView> {
    return toUserView(await this.users.create(body.email, body.password, body.role, body.name));
  }

  @Get()
  list(@Query() query: PaginationQueryDto): Promise<Page<UserView>> {
    return this.users.list(query);
  }

  @Patch(':id')
  @ApiOperation({
    operationId: 'updateUser',
    summary: 'Change role or disabled; disabling or demoting ends their sessions; never the last active admin (409)',
  })
  @ApiOkResponse({ type: UserResponse })
  async update(@Param('id', ParseUuidPipe) id: string, @Body() body: UpdateUserDto): Promise<UserView> {
    return toUserView(await this.users.update(id, body));
  }
}
