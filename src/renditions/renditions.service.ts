import { Injectable } from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';
import type { Executor } from '../database/sql.js';
import type { MediaInfo } from './generation/media-info.js';
import { RenditionJobsRepository, type RenditionRow, type RenditionStatus } from './rendition-jobs.repository.js';
import { RenditionWorker, type ProcessReport } from './rendition-worker.service.js';
import { GENERATOR_VERSION, type RenditionKind } from './renditions.constants.js';

/** What a view shows about a content's renditions (`renditions` and `mediaInfo` of the contract). */
export interface ContentRenditions {
  /** `running` is reported as `pending`: to a viewer both mean "not yet". */
  status: 'pending' | 'ready' | 'failed' | 'unsupported';
  thumbnail?: RenditionRef;
  preview?: RenditionRef;
  /** thumbhash, base64. */
  placeholder?: string;
  mediaInfo?: MediaInfo;
  /** Why rendering failed (for admins; not for every viewer). */
  failureReason?: string;
}

/** What `generateMissing` did (the `generate-renditions` job's answer). */
export interface GenerateRenditionsReport extends ProcessReport {
  /** Stored contents queued because they had no job at the current generator version. */
  queued: number;
  /** Jobs still waiting afterwards: retries backing off, or taken by another instance's worker meanwhile. */
  remaining: number;
}

export interface RenditionRef {
  objectKey: string;
  contentType: string;
  width: number;
  height: number;
  size: number;
}

/**
 * The renditions module's face to the rest of the application (content lifecycle, views, admin jobs). It never
 * renders itself: it queues work for the worker and reads what the worker recorded.
 */
@Injectable()
export class RenditionsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly jobs: RenditionJobsRepository,
    private readonly worker: RenditionWorker,
  ) {}

  /**
   * Queues `hash` for rendering, idempotently (already queued or rendered at this generator version: nothing
   * happens; rendered by an older one: rendered again). Pass the caller's `runner` to enqueue inside its
   * transaction (the job then exists exactly when the content does); call `wake()` after that commit so this
   * instance's worker starts without waiting for its next poll. Answers whether a job was (re)queued.
   */
  async enqueue(hash: string, runner?: QueryRunner): Promise<boolean> {
    const queued = await this.jobs.enqueue(runner ?? this.dataSource, hash, GENERATOR_VERSION);
    if (queued && !runner) this.worker.wake();
    return queued;
  }

  /**
   * Queues every stored content without renditions of the current generator version (the backfill behind a
   * future `generate-renditions` command and admin job). Answers how many were queued.
   */
  async enqueueMissing(): Promise<number> {
    const queued = await this.jobs.enqueueMissing(GENERATOR_VERSION);
    if (queued > 0) this.worker.wake();
    return queued;
  }

  wake(): void {
    this.worker.wake();
  }

  /**
   * The backfill: queues every stored content without renditions of the current generator version, then renders
   * everything due in this process (whatever the role), and answers what became of the jobs it processed.
   */
  async generateMissing(): Promise<GenerateRenditionsReport> {
    // Not `enqueueMissing()`: waking this instance's lanes would split the work between them and the report.
    const queued = await this.jobs.enqueueMissing(GENERATOR_VERSION);
    const report = await this.worker.processDueReport();
    const counts = await this.jobs.countByStatus();
    return { queued, ...report, remaining: counts.pending + counts.running };
  }

  /** How many jobs are in each status. */
  countByStatus(): Promise<Record<RenditionStatus, number>> {
    return this.jobs.countByStatus();
  }

  /**
   * The renditions state of each hash that has a job; hashes never queued are absent from the map. In `db`'s
   * transaction when given.
   */
  async statusFor(hashes: string[], db?: Executor): Promise<Map<string, ContentRenditions>> {
    const states = await this.jobs.statusWithRenditions([...new Set(hashes)], db);
    const result = new Map<string, ContentRenditions>();
    for (const state of states) {
      const refs = newestByKind(state.renditions);
      result.set(state.hash, {
        status: state.status === 'running' ? 'pending' : state.status,
        ...refs,
        placeholder: state.placeholder ?? undefined,
        mediaInfo: state.mediaInfo ?? undefined,
        failureReason: state.status === 'failed' ? (state.failureReason ?? undefined) : undefined,
      });
    }
    return result;
  }

  /** The content's renditions, newest generator version first per kind (older ones serve until replaced). */
  async renditionsFor(hash: string): Promise<Partial<Record<RenditionKind, RenditionRef>>> {
    return newestByKind(await this.jobs.renditionsFor(hash));
  }
}

function newestByKind(rows: RenditionRow[]): Partial<Record<RenditionKind, RenditionRef>> {
  const result: Partial<Record<RenditionKind, RenditionRef>> = {};
  const versions: Partial<Record<RenditionKind, number>> = {};
  for (const row of rows) {
    if ((versions[row.kind] ?? 0) >= row.generatorVersion) continue;
    versions[row.kind] = row.generatorVersion;
    const { objectKey, contentType, width, height, size } = row;
    result[row.kind] = { objectKey, contentType, width, height, size };
  }
  return result;
}
