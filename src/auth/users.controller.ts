import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiTags } from '@nestjs/swagger';
import { PaginationQueryDto, type Page } from '../common/pagination.js';
import { Roles } from './auth.decorators.js';
import { CreateUserDto, UserResponse } from './dto/auth.dto.js';
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
    return toUserView(await this.users.create(body.email, body.password, body.role));
  }

  @Get()
  list(@Query() query: PaginationQueryDto): Promise<Page<UserView>> {
    return this.users.list(query);
  }
}
