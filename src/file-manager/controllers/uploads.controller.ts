import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors } from '../../common/openapi/api-errors.decorator.js';
import type { Request } from 'express';
import { CurrentUser } from '../../auth/auth.decorators.js';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import { RateLimit } from '../../http/rate-limit.js';
import { CheckHashesDto } from '../dto/moderation.dto.js';
import { HashCheckResponse, MediaFileIdResponse, UploadReportResponse } from '../dto/upload.response.js';
import { UploadService } from '../services/upload.service.js';

@ApiTags('uploads')
@ApiBearerAuth()
@ApiExtraModels(MediaFileIdResponse)
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
  @ApiOperation({ operationId: 'uploadFiles' })
  @ApiCreatedResponse({ type: UploadReportResponse, description: 'one result per `files` part' })
  @ApiErrors(413, 415, 429)
  upload(@Req() request: Request, @CurrentUser() user: AuthenticatedUser): Promise<UploadReportResponse> {
    return this.uploads.receive(request, user);
  }

  @Post('check')
  @HttpCode(200)
  @ApiOperation({ operationId: 'checkHashes' })
  @ApiOkResponse({ type: HashCheckResponse })
  async check(@Body() body: CheckHashesDto): Promise<HashCheckResponse> {
    return { results: await this.uploads.check(body.hashes) };
  }
}
