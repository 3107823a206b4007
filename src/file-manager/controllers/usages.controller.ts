import { Body, Controller, Delete, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ParseUuidPipe } from '../../common/parse-uuid.pipe.js';
import { CurrentUser, Public } from '../../auth/auth.decorators.js';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import { UsageDto } from '../dto/library.dto.js';
import { UsagesService, type UsageView } from '../services/usages.service.js';


@ApiTags('usages')
@ApiBearerAuth()
@Controller('files/:id/usages')
export class UsagesController {
  constructor(private readonly usages: UsagesService) {}

  @Post()
  @ApiCreatedResponse({ description: 'recorded' })
  @ApiOkResponse({ description: 'already recorded' })
  async record(
    @Param('id', ParseUuidPipe) id: string,
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
  async remove(@Param('id', ParseUuidPipe) id: string, @Body() body: UsageDto, @CurrentUser() user: AuthenticatedUser): Promise<void> {
    await this.usages.remove(id, body, user);
  }

  @Get()
  @Public()
  list(@Param('id', ParseUuidPipe) id: string, @CurrentUser() user?: AuthenticatedUser): Promise<{ count: number; usages: UsageView[] }> {
    return this.usages.list(id, user);
  }
}
