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
import { ParseUuidPipe } from '../../common/parse-uuid.pipe.js';
import { CurrentUser, Public } from '../../auth/auth.decorators.js';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import { NamedListQueryDto } from '../dto/library.dto.js';
import { CreateTagDto, UpdateTagDto } from '../dto/tags-collections.dto.js';
import { TagPageResponse, TagResponse } from '../dto/tag-collection.response.js';
import { TagsService } from '../services/tags.service.js';

@ApiTags('tags')
@ApiBearerAuth()
@Controller('tags')
export class TagsController {
  constructor(private readonly tags: TagsService) {}

  @Get()
  @Public()
  @ApiOperation({ operationId: 'listTags' })
  @ApiOkResponse({ type: TagPageResponse })
  list(@Query() query: NamedListQueryDto): Promise<TagPageResponse> {
    return this.tags.list(query);
  }

  @Post()
  @ApiOperation({ operationId: 'createTag' })
  @ApiCreatedResponse({ type: TagResponse })
  @ApiErrors(409)
  create(@Body() body: CreateTagDto, @CurrentUser() user: AuthenticatedUser): Promise<TagResponse> {
    return this.tags.create(body, user);
  }

  @Get(':id')
  @Public()
  @ApiOperation({ operationId: 'getTag' })
  @ApiOkResponse({ type: TagResponse })
  @ApiErrors(404)
  get(@Param('id', ParseUuidPipe) id: string): Promise<TagResponse> {
    return this.tags.get(id);
  }

  @Patch(':id')
  @ApiOperation({ operationId: 'updateTag' })
  @ApiOkResponse({ type: TagResponse })
  @ApiErrors(403, 404, 409)
  update(
    @Param('id', ParseUuidPipe) id: string,
    @Body() body: UpdateTagDto,
    @CurrentUser() user: AuthenticatedUser,
  ): Promise<TagResponse> {
    return this.tags.update(id, body, user);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ operationId: 'deleteTag' })
  @ApiNoContentResponse({ description: 'deleted; its files lose the tag' })
  @ApiErrors(403, 404)
  async remove(@Param('id', ParseUuidPipe) id: string, @CurrentUser() user: AuthenticatedUser): Promise<void> {
    await this.tags.remove(id, user);
  }
}
