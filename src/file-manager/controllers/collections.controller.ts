import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  CollectionFilesAddedResponse,
  CollectionFilesRemovedResponse,
} from '../dto/library-operations.response.js';
import { ParseUuidPipe } from '../../common/parse-uuid.pipe.js';
import { CurrentUser, Public } from '../../auth/auth.decorators.js';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import type { Page } from '../../common/pagination.js';
import { NamedListQueryDto } from '../dto/library.dto.js';
import { CollectionFilesDto, CreateCollectionDto, UpdateCollectionDto } from '../dto/tags-collections.dto.js';
import { CollectionsService, type CollectionView } from '../services/collections.service.js';


@ApiTags('collections')
@ApiBearerAuth()
@Controller('collections')
export class CollectionsController {
  constructor(private readonly collections: CollectionsService) {}

  @Get()
  @Public()
  list(@Query() query: NamedListQueryDto, @CurrentUser() user?: AuthenticatedUser): Promise<Page<CollectionView>> {
    return this.collections.list(query, user);
  }

  @Post()
  create(@Body() body: CreateCollectionDto, @CurrentUser() user: AuthenticatedUser): Promise<CollectionView> {
    return this.collections.create(body, user);
  }

  @Get(':id')
  @Public()
  get(@Param('id', ParseUuidPipe) id: string, @CurrentUser() user?: AuthenticatedUser): Promise<CollectionView> {
    return this.collections.get(id, user);
  }

  @Patch(':id')
  update(
    @Param('id', ParseUuidPipe) id: string,
    @Body() body: UpdateCollectionDto,
    @CurrentUser() user: AuthenticatedUser,
  ): Promise<CollectionView> {
    return this.collections.update(id, body, user);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id', ParseUuidPipe) id: string, @CurrentUser() user: AuthenticatedUser): Promise<void> {
    await this.collections.remove(id, user);
  }

  @Post(':id/files')
  @HttpCode(200)
  @ApiOperation({ operationId: 'addCollectionFiles', summary: 'Put files in a collection (idempotent)' })
  @ApiOkResponse({ type: CollectionFilesAddedResponse })
  addFiles(
    @Param('id', ParseUuidPipe) id: string,
    @Body() body: CollectionFilesDto,
    @CurrentUser() user: AuthenticatedUser,
  ): Promise<{ added: number }> {
    return this.collections.addFiles(id, body.fileIds, user);
  }

  @Delete(':id/files')
  @ApiOperation({ operationId: 'removeCollectionFiles', summary: 'Take files out of a collection (idempotent)' })
  @ApiOkResponse({ type: CollectionFilesRemovedResponse })
  removeFiles(
    @Param('id', ParseUuidPipe) id: string,
    @Body() body: CollectionFilesDto,
    @CurrentUser() user: AuthenticatedUser,
  ): Promise<{ removed: number }> {
    return this.collections.removeFiles(id, body.fileIds, user);
  }
}
