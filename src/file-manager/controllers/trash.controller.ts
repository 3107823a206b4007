import { Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiTags } from '@nestjs/swagger';
import { ParseUuidPipe } from '../../common/parse-uuid.pipe.js';
import { CurrentUser, Roles } from '../../auth/auth.decorators.js';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import { PaginationQueryDto, type Page } from '../../common/pagination.js';
import { EmptyTrashQueryDto } from '../dto/trash.dto.js';
import { TrashService } from '../services/trash.service.js';
import type { MediaFileView } from '../views.js';


@ApiTags('trash')
@ApiBearerAuth()
@Controller()
export class TrashController {
  constructor(private readonly trash: TrashService) {}

  @Delete('files/:id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'moved to the trash' })
  async moveToTrash(@Param('id', ParseUuidPipe) id: string, @CurrentUser() user: AuthenticatedUser): Promise<void> {
    await this.trash.moveToTrash(id, user);
  }

  @Get('trash')
  list(@Query() query: PaginationQueryDto, @CurrentUser() user: AuthenticatedUser): Promise<Page<MediaFileView>> {
    return this.trash.list(query, user);
  }

  @Post('trash/:id/restore')
  @HttpCode(200)
  restore(@Param('id', ParseUuidPipe) id: string, @CurrentUser() user: AuthenticatedUser): Promise<MediaFileView> {
    return this.trash.restore(id, user);
  }

  @Delete('trash/:id')
  @Roles('admin')
  @HttpCode(204)
  async purge(@Param('id', ParseUuidPipe) id: string): Promise<void> {
    await this.trash.purge(id);
  }

  @Delete('trash')
  @Roles('admin')
  @HttpCode(200)
  async empty(@Query() query: EmptyTrashQueryDto): Promise<{ purged: number }> {
    return { purged: await this.trash.purgeOlderThan(query.olderThanDays) };
  }
}
