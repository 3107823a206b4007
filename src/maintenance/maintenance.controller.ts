import { Controller, Get, HttpCode, Param, ParseEnumPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/openapi/api-errors.decorator.js';
import { Roles } from '../auth/auth.decorators.js';
import { ValidationFailedException } from '../common/errors/domain.exception.js';
import { ContentMaintenanceService } from '../file-manager/services/content-maintenance.service.js';
import { JobsOverviewService } from './jobs-overview.service.js';
import { MAINTENANCE_JOBS, MaintenanceJobs, type JobResult, type MaintenanceJob } from './maintenance.jobs.js';
import {
  GenerateRenditionsResultResponse,
  JOB_RESULT_SCHEMA,
  JobsResponse,
  StorageReportResponse,
} from './maintenance.response.js';

// eslint-disable-next-line no-useless-assignment -- used by the @Param decorator below, which the rule does not see
const JOB_ENUM = Object.fromEntries(MAINTENANCE_JOBS.map((job) => [job, job]));
/** `generate-renditions` has its own operation (its answer has a schema of its own); it still runs as a job. */
const GENERIC_JOBS = MAINTENANCE_JOBS.filter((job) => job !== 'generate-renditions');

@ApiTags('operations')
@ApiBearerAuth()
@Roles('admin')
@ApiErrors(403)
@Controller('admin')
export class MaintenanceController {
  constructor(
    private readonly jobs: MaintenanceJobs,
    private readonly content: ContentMaintenanceService,
    private readonly overview: JobsOverviewService,
  ) {}

  /** Each job's schedule, latest run, outcome counts and whether any instance is running it now. */
  @Get('jobs')
  @ApiOperation({ operationId: 'listJobs' })
  @ApiOkResponse({ type: JobsResponse })
  async list(): Promise<JobsResponse> {
    return { jobs: await this.overview.list() };
  }

  @Get('storage')
  @ApiOperation({ operationId: 'getStorageReport' })
  @ApiOkResponse({ type: StorageReportResponse })
  storage(): Promise<StorageReportResponse> {
    return this.content.storageReport();
  }

  /**
   * Queues every stored content without renditions of the current generator version and renders what is due, in
   * this instance. Declared before `maintenance/:job` so that it matches first.
   */
  @Post('maintenance/generate-renditions')
  @HttpCode(200)
  @ApiOperation({ operationId: 'generateRenditions' })
  @ApiOkResponse({ type: GenerateRenditionsResultResponse })
  @ApiErrors(409)
  async generateRenditions(): Promise<GenerateRenditionsResultResponse> {
    return (await this.jobs.run('generate-renditions')) as unknown as GenerateRenditionsResultResponse;
  }

  @Post('maintenance/:job')
  @HttpCode(200)
  @ApiParam({ name: 'job', enum: GENERIC_JOBS })
  @ApiOperation({ operationId: 'runMaintenanceJob' })
  @ApiOkResponse({ schema: JOB_RESULT_SCHEMA })
  @ApiErrors(409)
  run(
    @Param(
      'job',
      new ParseEnumPipe(JOB_ENUM, {
        exceptionFactory: () =>
          new ValidationFailedException([
            { field: 'job', errors: [`job must be one of ${MAINTENANCE_JOBS.join(', ')}`] },
          ]),
      }),
    )
    job: MaintenanceJob,
  ): Promise<JobResult> {
    return this.jobs.run(job);
  }
}
