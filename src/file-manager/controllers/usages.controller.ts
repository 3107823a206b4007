import { Body, Controller, Delete, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors } from '../../common/openapi/api-errors.decorator.js';
import type { Response } from 'express';
import { ParseUuidPipe } from '../../common/parse-uuid.pipe.js';
import { CurrentUser, Public } from '../../auth/auth.decorators.js';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import { UsageDto } from '../dto/library.dto.js';
import { UsageListResponse, UsageResponse } from '../dto/usage.response.js';
import { UsagesService } from '../services/usages.service.js';

@ApiTags('usages')
@ApiBearerAuth()
@Controller('files/:id/usages')
export class UsagesController {
  constructor(private readonly usages: UsagesService) {}

  @Post()
  @ApiOperation({ operationId: 'recordUsage' })
  @ApiCreatedResponse({ type: UsageResponse, description: 'recorded' })
  @ApiOkResponse({ type: UsageResponse, description: 'already recorded' })
  @ApiErrors(404)
  async record(
    @Param('id', ParseUuidPipe) id: string,
    @Body() body: UsageDto,
    @CurrentUser() user: AuthenticatedUser,
    @Res({ passthrough: true }) response: Response,
  ): Promise<UsageResponse> {
    const { created, usage } = await this.usages.record(id, body, user);
    response.status(created ? 201 : 200);
    return usage;
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ operationId: 'removeUsage' })
  @ApiNoContentResponse({ description: 'removed (or was not recorded)' })
  @ApiErrors(403, 404)
  async remove(
    @Param('id', ParseUuidPipe) id: string,
    @Body() body: UsageDto,
    @CurrentUser() user: AuthenticatedUser,
  ): Promise<void> {
    await this.usages.remove(id, body, user);
  }

  @Get()
  @Public()
  @ApiOperation({ operationId: 'listUsages' })
  @ApiOkResponse({ type: UsageListResponse })
  @ApiErrors(404)
  list(@Param('id', ParseUuidPipe) id: string, @CurrentUser() user?: AuthenticatedUser): Promise<UsageListResponse> {
    return this.usages.list(id, user);
  }
}
