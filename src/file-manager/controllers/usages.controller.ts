import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentUser, Public } from '../../auth/auth.decorators.js';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import { UsageDto } from '../dto/library.dto.js';
import { UsagesService, type UsageView } from '../services/usages.service.js';

const uuid = new ParseUUIDPipe({ version: undefined });

@ApiTags('usages')
@ApiBearerAuth()
@Controller('files/:id/usages')
export class UsagesController {
  constructor(private readonly usages: UsagesService) {}

  @Post()
  @ApiCreatedResponse({ description: 'recorded' })
  @ApiOkResponse({ description: 'already recorded' })
  async record(
    @Param('id', uuid) id: string,
    @Body() body: UsageDto,
    @CurrentUser() user: AuthenticatedUser,
    @Res({ passthrough: true }) response: Response,
  ): Promise<UsageView> {
    const { created, usage } = await this.usages.record(id, body, user);
    response.status(created ? 201 : 200);
    return usage;
  }

  @Delete()
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'removed (or was not recorded)' })
  async remove(@Param('id', uuid) id: string, @Body() body: UsageDto, @CurrentUser() user: AuthenticatedUser): Promise<void> {
    await this.usages.remove(id, body, user);
  }

  @Get()
  @Public()
  list(@Param('id', uuid) id: string, @CurrentUser() user?: AuthenticatedUser): Promise<{ count: number; usages: UsageView[] }> {
    return this.usages.list(id, user);
  }
}
