import { Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../common/openapi/api-errors.decorator.js';
import { ParseUuidPipe } from '../../common/parse-uuid.pipe.js';
import { CurrentUser, Roles } from '../../auth/auth.decorators.js';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import { PaginationQueryDto } from '../../common/pagination.js';
import { EmptyTrashQueryDto } from '../dto/trash.dto.js';
import { TrashService } from '../services/trash.service.js';
import { EmptyTrashResponse, MediaFilePageResponse, MediaFileResponse } from '../dto/media-file.response.js';

@ApiTags('trash')
@ApiBearerAuth()
@Controller()
export class TrashController {
  constructor(private readonly trash: TrashService) {}

  @Delete('files/:id')
  @HttpCode(204)
  @ApiOperation({ operationId: 'trashFile' })
  @ApiNoContentResponse({ description: 'moved to the trash' })
  @ApiErrors(403, 404, 409)
  async moveToTrash(@Param('id', ParseUuidPipe) id: string, @CurrentUser() user: AuthenticatedUser): Promise<void> {
    await this.trash.moveToTrash(id, user);
  }

  @Get('trash')
  @ApiOperation({ operationId: 'listTrash' })
  @ApiOkResponse({ type: MediaFilePageResponse })
  list(@Query() query: PaginationQueryDto, @CurrentUser() user: AuthenticatedUser): Promise<MediaFilePageResponse> {
    return this.trash.list(query, user);
  }

  @Post('trash/:id/restore')
  @HttpCode(200)
  @ApiOperation({ operationId: 'restoreFile' })
  @ApiOkResponse({ type: MediaFileResponse })
  @ApiErrors(404, 409)
  restore(@Param('id', ParseUuidPipe) id: string, @CurrentUser() user: AuthenticatedUser): Promise<MediaFileResponse> {
    return this.trash.restore(id, user);
  }

  @Delete('trash/:id')
  @Roles('admin')
  @HttpCode(204)
  @ApiOperation({ operationId: 'purgeFile' })
  @ApiNoContentResponse({ description: 'purged for good' })
  @ApiErrors(403, 404, 409)
  async purge(@Param('id', ParseUuidPipe) id: string): Promise<void> {
    await this.trash.purge(id);
  }

  @Delete('trash')
  @Roles('admin')
  @HttpCode(200)
  @ApiOperation({ operationId: 'emptyTrash' })
  @ApiOkResponse({ type: EmptyTrashResponse })
  @ApiErrors(403)
  async empty(@Query() query: EmptyTrashQueryDto): Promise<EmptyTrashResponse> {
    return { purged: await this.trash.purgeOlderThan(query.olderThanDays) };
  }
}
