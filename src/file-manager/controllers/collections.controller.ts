import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors } from '../../common/openapi/api-errors.decorator.js';
import { CollectionFilesAddedResponse, CollectionFilesRemovedResponse } from '../dto/library-operations.response.js';
import { ParseUuidPipe } from '../../common/parse-uuid.pipe.js';
import { CurrentUser, Public } from '../../auth/auth.decorators.js';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import { NamedListQueryDto } from '../dto/library.dto.js';
import { CollectionFilesDto, CreateCollectionDto, UpdateCollectionDto } from '../dto/tags-collections.dto.js';
import { CollectionPageResponse, CollectionResponse } from '../dto/tag-collection.response.js';
import { CollectionsService } from '../services/collections.service.js';

@ApiTags('collections')
@ApiBearerAuth()
@Controller('collections')
export class CollectionsController {
  constructor(private readonly collections: CollectionsService) {}

  @Get()
  @Public()
  @ApiOperation({ operationId: 'listCollections' })
  @ApiOkResponse({ type: CollectionPageResponse })
  list(@Query() query: NamedListQueryDto, @CurrentUser() user?: AuthenticatedUser): Promise<CollectionPageResponse> {
    return this.collections.list(query, user);
  }

  @Post()
  @ApiOperation({ operationId: 'createCollection' })
  @ApiCreatedResponse({ type: CollectionResponse })
  @ApiErrors(403, 409)
  create(@Body() body: CreateCollectionDto, @CurrentUser() user: AuthenticatedUser): Promise<CollectionResponse> {
    return this.collections.create(body, user);
  }

  @Get(':id')
  @Public()
  @ApiOperation({ operationId: 'getCollection' })
  @ApiOkResponse({ type: CollectionResponse })
  @ApiErrors(404)
  get(@Param('id', ParseUuidPipe) id: string, @CurrentUser() user?: AuthenticatedUser): Promise<CollectionResponse> {
    return this.collections.get(id, user);
  }

  @Patch(':id')
  @ApiOperation({ operationId: 'updateCollection' })
  @ApiOkResponse({ type: CollectionResponse })
  @ApiErrors(403, 404, 409)
  update(
    @Param('id', ParseUuidPipe) id: string,
    @Body() body: UpdateCollectionDto,
    @CurrentUser() user: AuthenticatedUser,
  ): Promise<CollectionResponse> {
    return this.collections.update(id, body, user);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ operationId: 'deleteCollection' })
  @ApiNoContentResponse({ description: 'deleted; its files stay in the library' })
  @ApiErrors(403, 404)
  async remove(@Param('id', ParseUuidPipe) id: string, @CurrentUser() user: AuthenticatedUser): Promise<void> {
    await this.collections.remove(id, user);
  }

  @Post(':id/files')
  @HttpCode(200)
  @ApiOperation({ operationId: 'addCollectionFiles', summary: 'Put files in a collection (idempotent)' })
  @ApiOkResponse({ type: CollectionFilesAddedResponse })
  @ApiErrors(403, 404)
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
  @ApiErrors(403, 404)
  removeFiles(
    @Param('id', ParseUuidPipe) id: string,
    @Body() body: CollectionFilesDto,
    @CurrentUser() user: AuthenticatedUser,
  ): Promise<{ removed: number }> {
    return this.collections.removeFiles(id, body.fileIds, user);
  }
}
