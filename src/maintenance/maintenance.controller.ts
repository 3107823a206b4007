import { Controller, Get, HttpCode, Param, ParseEnumPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiParam, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/auth.decorators.js';
import { ValidationFailedException } from '../common/errors/domain.exception.js';
import { ContentMaintenanceService, type StorageReport } from '../file-manager/services/content-maintenance.service.js';
import { JobsOverviewService, type JobOverview } from './jobs-overview.service.js';
import { MAINTENANCE_JOBS, MaintenanceJobs, type MaintenanceJob } from './maintenance.jobs.js';

// eslint-disable-next-line no-useless-assignment -- used by the @Param decorator below, which the rule does not see
const JOB_ENUM = Object.fromEntries(MAINTENANCE_JOBS.map((job) => [job, job]));

@ApiTags('operations')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin')
export class MaintenanceController {
  constructor(
    private readonly jobs: MaintenanceJobs,
    private readonly content: ContentMaintenanceService,
    private readonly overview: JobsOverviewService,
  ) {}

  /** Each job's schedule, latest run, outcome counts and whether any instance is running it now. */
  @Get('jobs')
  async list(): Promise<{ jobs: JobOverview[] }> {
    return { jobs: await this.overview.list() };
  }

  @Get('storage')
  storage(): Promise<StorageReport> {
    return this.content.storageReport();
  }

  @Post('maintenance/:job')
  @HttpCode(200)
  @ApiParam({ name: 'job', enum: MAINTENANCE_JOBS })
  run(
    @Param(
      'job',
      new ParseEnumPipe(JOB_ENUM, {
        exceptionFactory: () =>
          new ValidationFailedException([{ field: 'job', errors: [`job must be one of ${MAINTENANCE_JOBS.join(', ')}`] }]),
      }),
    )
    job: MaintenanceJob,
  ): Promise<Record<string, unknown>> {
    return this.jobs.run(job);
  }
}
