import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ParseUuidPipe } from '../../common/parse-uuid.pipe.js';
import { CurrentUser, Public, Roles } from '../../auth/auth.decorators.js';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import type { Page } from '../../common/pagination.js';
import { NamedListQueryDto } from '../dto/library.dto.js';
import { CreateTagDto, MergeTagDto, UpdateTagDto } from '../dto/tags-collections.dto.js';
import { TagsService, type TagView } from '../services/tags.service.js';


@ApiTags('tags')
@ApiBearerAuth()
@Controller('tags')
export class TagsController {
  constructor(private readonly tags: TagsService) {}

  @Get()
  @Public()
  list(@Query() query: NamedListQueryDto, @CurrentUser() user?: AuthenticatedUser): Promise<Page<TagView>> {
    return this.tags.list(query, user);
  }

  @Post()
  create(@Body() body: CreateTagDto, @CurrentUser() user: AuthenticatedUser): Promise<TagView> {
    return this.tags.create(body, user);
  }

  @Get(':id')
  @Public()
  get(@Param('id', ParseUuidPipe) id: string, @CurrentUser() user?: AuthenticatedUser): Promise<TagView> {
    return this.tags.get(id, user);
  }

  @Patch(':id')
  update(@Param('id', ParseUuidPipe) id: string, @Body() body: UpdateTagDto, @CurrentUser() user: AuthenticatedUser): Promise<TagView> {
    return this.tags.update(id, body, user);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id', ParseUuidPipe) id: string, @CurrentUser() user: AuthenticatedUser): Promise<void> {
    await this.tags.remove(id, user);
  }

  @Post(':id/merge')
  @Roles('admin')
  @HttpCode(200)
  @ApiOperation({ operationId: 'mergeTag', summary: 'Merge a tag into another (the target is answered)' })
  @ApiOkResponse({ description: 'the target tag, with its new fileCount' })
  merge(
    @Param('id', ParseUuidPipe) id: string,
    @Body() body: MergeTagDto,
    @CurrentUser() user: AuthenticatedUser,
  ): Promise<TagView> {
    return this.tags.merge(id, body.intoTagId, user);
  }
}
