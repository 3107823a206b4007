import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { CurrentUser } from '../../auth/auth.decorators.js';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import { RateLimit } from '../../http/rate-limit.js';
import { CheckHashesDto } from '../dto/moderation.dto.js';
import { UploadService, type HashStatus, type UploadReport } from '../services/upload.service.js';

@ApiTags('uploads')
@ApiBearerAuth()
@Controller('uploads')
export class UploadsController {
  constructor(private readonly uploads: UploadService) {}

  @Post()
  @RateLimit('upload')
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['files'],
      properties: {
        files: { type: 'array', items: { type: 'string', format: 'binary' } },
        folderPath: { type: 'string' },
      },
    },
  })
  @ApiCreatedResponse({ description: '{ results: [{ filename, status, hash, pendingFile?, mediaFile?, error? }], successCount, errorCount }' })
  upload(@Req() request: Request, @CurrentUser() user: AuthenticatedUser): Promise<UploadReport> {
    return this.uploads.receive(request, user);
  }

  @Post('check')
  @HttpCode(200)
  @ApiOkResponse({ description: '{ results: [{ hash, status: new | pending | exists | trashed }] }' })
  async check(@Body() body: CheckHashesDto): Promise<{ results: Array<{ hash: string; status: HashStatus }> }> {
    return { results: await this.uploads.check(body.hashes) };
  }
}
