import { Controller, Get, Res, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/openapi/api-errors.decorator.js';
import type { Response } from 'express';
import { Public } from '../auth/auth.decorators.js';
import { MetricsAccessGuard } from './metrics-access.guard.js';
import { MetricsService } from './metrics.service.js';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  /** Prometheus text format; no token (scrapers rarely have one), restricted to trusted networks instead. */
  @Public()
  @UseGuards(MetricsAccessGuard)
  @Get()
  @ApiOperation({ operationId: 'getMetrics' })
  @ApiOkResponse({
    description: 'Prometheus text exposition format',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  @ApiErrors(403)
  async scrape(@Res({ passthrough: true }) response: Response): Promise<string> {
    const body = await this.metrics.render();
    response.type(this.metrics.contentType);
    return body;
  }
}
