import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pLimit, { type LimitFunction } from 'p-limit';
import { DataSource } from 'typeorm';
import { renditionsConfig } from '../config/configuration.js';
import { inTransaction } from '../database/transactions.js';
import { RequestActivity } from '../http/request-activity.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ObjectStorage } from '../storage/object-storage.js';
import { ObjectNotFoundException, StorageUnavailableException } from '../storage/storage.errors.js';
import type { RenderedImage } from './generation/image.js';
import {
  DEFAULT_RENDER_LIMITS,
  detectKindOfHead,
  renderFile,
  renderStill,
  SNIFF_BYTES,
  type RenderLimits,
  type RenderOutcome,
} from './generation/render-file.js';
import { describeCause, RenditionFailure } from './generation/rendition-failure.js';
import { LaneMemory, readRest } from './lane-memory.js';
import { lowerProcessPriority } from './process-priority.js';
import { RenditionJobsRepository, type ClaimedJob, type FinishedJob } from './rendition-jobs.repository.js';
import { RENDITION_KEY_PREFIX } from './renditions.constants.js';
import { RenderYield } from './render-yield.js';
import { removeAbandonedScratch, scratchDirectory } from './scratch-space.js';

/** How often an idle worker looks for due jobs (an enqueue in this process wakes it at once). */
const IDLE_POLL_MS = 2000;
/**
 * Jobs in hand per render slot. A job spends part of its time on storage and the database (the download, the
 * writes, the record); a second lane per slot does that while the first renders, so the CPUs don't idle between
 * renders. Rendering itself (the memory and CPU) stays bounded by the slots.
 */
const LANES_PER_RENDER_SLOT = 2;
const MAX_RETRY_SECONDS = 3600;
/**
 * How often a background lane records abandoned jobs (a dead worker's, on their last attempt) as failed. Not before
 * every claim: the claim skips them anyway, and a statement per job is what a busy worker saves.
 */
const ABANDONED_SWEEP_MS = 10_000;
/**
 * Images up to this size are rendered from memory, not from a temporary file: writing and reading back a 4 MB photo
 * cost the worker ~4 ms of its ~215 ms per image. Bounded so the jobs in hand (two per slot) hold little memory: each
 * lane keeps up to this much for its next job (LaneMemory).
 */
const IN_MEMORY_IMAGE_BYTES = 8 * 1024 * 1024;

/** What became of one claimed job (the `outcome` label of the rendition metrics). */
export type JobOutcome = 'ready' | 'unsupported' | 'retry' | 'failed' | 'discarded';

/** How many jobs `processDueReport` processed, and what became of them. */
export type ProcessReport = Record<JobOutcome | 'processed', number>;

/** The job's lease lapsed and another worker took it: our result must not be recorded. */
class LeaseLost extends Error {}

export interface WorkerHooks {
  /** Called after a job is claimed and before its object is read (specs hold a render here). */
  beforeRender?: (job: ClaimedJob) => Promise<void>;
  /** Called once the content is downloaded, before the job waits for a render slot. */
  awaitingRenderSlot?: (job: ClaimedJob) => Promise<void>;
  /** Called in a render slot, before the content is rendered (the slot is held until this settles). */
  rendering?: (job: ClaimedJob) => Promise<void>;
  /** Called once the renditions are written, before they are recorded. */
  beforeRecord?: (job: ClaimedJob) => Promise<void>;
}

/**
 * Renders queued contents: claims a due job (`FOR UPDATE SKIP LOCKED`, so every instance's workers share the
 * queue), keeps its lease alive with a heartbeat, reads the content's object into a private temporary file,
 * renders it with bounded time and memory, writes each rendition under a fresh key it claimed first, and
 * records them in one short transaction under the content lock. Any failure leaves nothing behind: objects
 * not recorded go to the deletion outbox, a dead worker's job is taken again when its lease lapses, and a
 * content that can't be rendered ends `failed` after `RENDITION_MAX_ATTEMPTS`.
 *
 * With `MEDIAVAULT_ROLE=api` nothing runs here; otherwise lanes poll the queue: `RENDITION_CONCURRENCY` contents
 * render at once, and each render slot has two lanes so one downloads, writes and records while the other renders.
 */
@Injectable()
export class RenditionWorker implements OnApplicationBootstrap, OnModuleDestroy {
  readonly instanceId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  readonly hooks: WorkerHooks = {};
  private readonly logger = new Logger(RenditionWorker.name);
  private readonly lanes: Array<Promise<void>> = [];
  private readonly sleepers = new Set<() => void>();
  private stopping = false;
  private abandonedSweptAt = -Infinity;
  private readonly renderSlot: LimitFunction;
  /** Gives way to requests before a lane takes a job, before it renders it and between the render's steps. */
  private readonly renderYield: RenderYield;

  constructor(
    private readonly dataSource: DataSource,
    private readonly storage: ObjectStorage,
    private readonly jobs: RenditionJobsRepository,
    @Inject(renditionsConfig.KEY) private readonly config: ConfigType<typeof renditionsConfig>,
    @Optional() private readonly metrics?: MetricsService,
    // Only where this instance serves requests (role `all`); a worker-only instance has none to give way to.
    @Optional() requests?: RequestActivity,
  ) {
    this.renderSlot = pLimit(config.concurrency);
    this.renderYield = new RenderYield({
      maxWaitMs: config.yieldMaxWaitMs,
      busyCores: config.yieldBusyCores,
      activeRequests: requests ? () => requests.activeRequests : undefined,
    });
  }

  private get laneCount(): number {
    return this.config.concurrency * LANES_PER_RENDER_SLOT;
  }

  onApplicationBootstrap(): void {
    if (!this.config.workerEnabled) return;
    void removeAbandonedScratch().then(
      (removed) => removed && this.logger.log(`Removed ${removed} render scratch director(ies) of dead workers`),
      (error: unknown) => this.logger.warn(`Could not clean render scratch space: ${describeCause(error)}`),
    );
    if (this.config.role === 'worker' && this.config.workerNice > 0) {
      // Only a worker-only instance: in role `all` the same threads also answer requests.
      const threads = lowerProcessPriority(this.config.workerNice);
      this.logger.log(`Rendering at CPU niceness ${this.config.workerNice} (${threads} thread(s))`);
    }
    this.renderYield.start();
    for (let lane = 0; lane < this.laneCount; lane += 1) this.lanes.push(this.runLane());
    this.logger.log(`Rendering ${this.config.concurrency} at a time as ${this.instanceId}`);
  }

  /**
   * The first hook of `app.close()`: the lanes still need the database and the storage client to finish the job
   * in hand. Nest destroys global modules (storage, database) last, so both are still there.
   */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    this.wake();
    // Each lane finishes the job in hand (every step of it is time-limited); a job cut short is retaken later.
    await Promise.all(this.lanes);
    this.renderYield.stop();
  }

  /** Whether this instance renders in the background (`MEDIAVAULT_ROLE` worker or all). */
  get running(): boolean {
    return this.lanes.length > 0 && !this.stopping;
  }

  /** Lets idle lanes look at the queue now (after a commit that enqueued jobs). */
  wake(): void {
    for (const wake of this.sleepers) wake();
    this.sleepers.clear();
  }

  /**
   * Renders every job that is due now, `RENDITION_CONCURRENCY` at a time, and answers how many were processed
   * (the CLI, jobs and specs use it; the background lanes do the same forever).
   */
  async processDue(): Promise<number> {
    return (await this.processDueReport()).processed;
  }

  /** `processDue`, answering what became of the jobs it processed (the `generate-renditions` job reports it). */
  async processDueReport(): Promise<ProcessReport> {
    const report: ProcessReport = { processed: 0, ready: 0, unsupported: 0, retry: 0, failed: 0, discarded: 0 };
    await this.failAbandoned(); // once per run: whoever waits for it sees every abandoned job failed
    const lane = async () => {
      const memory = new LaneMemory();
      for (let job = await this.claimNext(); job; job = await this.claimNext()) {
        // Someone waits for this run (a command, an admin's request): it does not give way to requests.
        report[await this.process(job, { yieldBudgetMs: 0, memory })] += 1;
        report.processed += 1;
      }
    };
    await Promise.all(Array.from({ length: this.laneCount }, lane));
    return report;
  }

  private async runLane(): Promise<void> {
    const memory = new LaneMemory();
    while (!this.stopping) {
      // Requests first, already before a job is taken: a worker giving way holds no job that an idle instance could
      // render, and downloads no content while requests want the CPU and the storage. What the lane waited here
      // counts against the job's wait before its render (a render waits at most RENDITION_YIELD_SECONDS in all).
      const waitedMs = await this.giveWay(this.renderYield.maxWaitMs);
      const job = await this.claimNext().catch((error: unknown) => {
        this.logger.warn(`Could not claim a rendition job: ${describeCause(error)}`);
        return null;
      });
      if (job) await this.process(job, { yieldBudgetMs: this.renderYield.maxWaitMs - waitedMs, memory });
      else await this.sleep(IDLE_POLL_MS);
    }
  }

  /** Waits while requests want the CPU, at most `budgetMs`; answers how long (in ms) and counts it in the metric. */
  private async giveWay(budgetMs: number): Promise<number> {
    const waitedMs = await this.renderYield.waitForQuiet(() => this.stopping, budgetMs);
    if (waitedMs > 0) this.metrics?.renditionYieldSeconds.inc(waitedMs / 1000);
    return waitedMs;
  }

  private async claimNext(): Promise<ClaimedJob | null> {
    if (performance.now() - this.abandonedSweptAt >= ABANDONED_SWEEP_MS) await this.failAbandoned();
    return this.jobs.claim(this.instanceId, this.config.leaseSeconds, this.config.maxAttempts);
  }

  private async failAbandoned(): Promise<void> {
    this.abandonedSweptAt = performance.now();
    await this.jobs.failAbandoned(this.config.maxAttempts);
  }

  /**
   * Never throws: every outcome is recorded on the job (or left to the lease when even that fails).
   * `yieldBudgetMs`: how long its render may still wait for requests (0: it never does); `memory`: the lane's.
   */
  private async process(job: ClaimedJob, options: { yieldBudgetMs: number; memory: LaneMemory }): Promise<JobOutcome> {
    const written: string[] = [];
    const lease = this.holdLease(job, written);
    const started = performance.now();
    let outcome: JobOutcome = 'discarded';
    try {
      if (job.objectKey === null) return outcome; // freed between claim and read: the job went with the content
      await this.hooks.beforeRender?.(job);
      const rendered = await this.render(job, job.objectKey, job.size ?? 0, options);
      lease.check();
      const finished = await this.store(rendered, written);
      lease.check();
      await this.hooks.beforeRecord?.(job);
      if (await this.record(job, finished, written)) outcome = finished.status;
    } catch (error) {
      outcome = await this.handleFailure(job, error, written);
    } finally {
      lease.stop();
      this.metrics?.renditions.inc({ outcome });
      this.metrics?.renditionDuration.observe({ outcome }, (performance.now() - started) / 1000);
    }
    return outcome;
  }

  /**
   * Sniffs the object's first bytes as they arrive and stops the download there when there is nothing to draw (an
   * archive or a document is not fetched whole to learn that); otherwise the same download continues into memory (an
   * image up to IN_MEMORY_IMAGE_BYTES, in the lane's memory) or into a private temporary file (decoders need to
   * seek), which is then rendered. One request per job.
   */
  private async render(
    job: ClaimedJob,
    objectKey: string,
    size: number,
    { yieldBudgetMs, memory }: { yieldBudgetMs: number; memory: LaneMemory },
  ): Promise<RenderOutcome> {
    const source = await this.storage.getStream(objectKey);
    // Paused between the sniff and the copy: a failure meanwhile must not go unheard (the copy reports it).
    source.on('error', () => undefined);
    const head = await readHead(source, Math.min(size, SNIFF_BYTES));
    const { kind, contentType } = await detectKindOfHead(head.subarray(0, SNIFF_BYTES));
    if (!kind && size > 0) {
      source.destroy();
      return { status: 'unsupported', contentType };
    }
    if (kind === 'image' && contentType && size > 0 && size <= IN_MEMORY_IMAGE_BYTES) {
      const bytes = await readRest(source, head, memory.take(size));
      return await this.inRenderSlot(job, yieldBudgetMs, (limits) => renderStill(bytes, contentType, limits));
    }
    const directory = await scratchDirectory();
    try {
      const path = join(directory, 'source');
      await pipeline(
        async function* () {
          yield head;
          yield* source;
        },
        createWriteStream(path, { mode: 0o600 }),
      );
      return await this.inRenderSlot(job, yieldBudgetMs, (limits) => renderFile(path, limits));
    } finally {
      source.destroy();
      await rm(directory, { recursive: true, force: true });
    }
  }

  /**
   * Runs `render` in a render slot, once the content is in hand. Requests first: while they want the CPU, a
   * background render waits, holding its slot, before it starts and again between its steps (a burst that begins
   * during a render then waits for the step in hand, not the rest of the render); at most `yieldBudgetMs` in all.
   */
  private async inRenderSlot(
    job: ClaimedJob,
    yieldBudgetMs: number,
    render: (limits: RenderLimits) => Promise<RenderOutcome>,
  ): Promise<RenderOutcome> {
    await this.hooks.awaitingRenderSlot?.(job);
    return this.renderSlot(async () => {
      let budgetMs = yieldBudgetMs;
      budgetMs -= await this.giveWay(budgetMs);
      await this.hooks.rendering?.(job);
      return render({
        timeoutSeconds: this.config.timeoutSeconds,
        maxInputPixels: this.config.maxInputPixels,
        maxPdfBytes: DEFAULT_RENDER_LIMITS.maxPdfBytes,
        betweenSteps: async () => {
          budgetMs -= await this.giveWay(budgetMs);
        },
      });
    });
  }

  /** Claims a fresh key per rendition (committed before any byte is written), then writes the objects. */
  private async store(outcome: RenderOutcome, written: string[]): Promise<FinishedJob> {
    if (outcome.status === 'unsupported') {
      const contentType = outcome.contentType ?? null;
      return { status: 'unsupported', contentType, mediaInfo: null, placeholder: null, renditions: [] };
    }
    const keyed = outcome.renditions.map((image) => ({ image, key: `${RENDITION_KEY_PREFIX}${randomUUID()}.webp` }));
    if (keyed.length > 0) {
      await this.jobs.claimKeys(keyed.map(({ key }) => key));
      written.push(...keyed.map(({ key }) => key));
    }
    // Both writes at once: each key is already claimed, so a failure of either leaves nothing unaccounted for.
    await Promise.all(
      keyed.map(({ image, key }) =>
        this.storage.putStream(key, Readable.from([image.data]), { contentType: image.contentType }),
      ),
    );
    const renditions = keyed.map(({ image, key }) => describe(image, key));
    return {
      status: 'ready',
      contentType: outcome.contentType,
      mediaInfo: outcome.mediaInfo,
      placeholder: outcome.placeholder ?? null,
      renditions,
    };
  }

  /**
   * One short transaction under the content lock: if the content is still stored and the job still ours, the
   * renditions are recorded and their claims dropped; otherwise (purged meanwhile, or our lease was taken over)
   * the objects just written are queued for deletion instead. Either way nothing is left unaccounted for.
   */
  private async record(job: ClaimedJob, finished: FinishedJob, written: string[]): Promise<boolean> {
    const recorded = await inTransaction(this.dataSource, async (runner) => {
      const ours = await this.jobs.lockForRecording(runner, job.hash, job.leaseToken);
      await this.jobs.releaseKeys(runner, written);
      if (!ours) {
        await this.jobs.queueDeletions(runner, written, 'rendition-discarded');
        return false;
      }
      const replaced = await this.jobs.recordFinished(runner, job.hash, job.generatorVersion, finished);
      await this.jobs.queueDeletions(runner, replaced, 'rendition-replaced');
      return true;
    });
    written.length = 0; // accounted for, one way or the other
    if (!recorded) this.logger.log(`Rendition of ${job.hash} discarded: content freed or job taken over`);
    return recorded;
  }

  private async handleFailure(job: ClaimedJob, error: unknown, written: string[]): Promise<JobOutcome> {
    if (written.length > 0) {
      await inTransaction(this.dataSource, async (runner) => {
        await this.jobs.releaseKeys(runner, written);
        await this.jobs.queueDeletions(runner, written, 'rendition-discarded');
      }).catch((cause: unknown) => {
        // The claims stay; when they go stale, garbage collection takes the objects.
        this.logger.warn(`Could not give up rendition objects of ${job.hash}: ${describeCause(cause)}`);
      });
    }
    if (error instanceof LeaseLost) return 'discarded';
    const failure = classify(error);
    if (!failure.countsAsAttempt) this.logger.warn(`Rendering ${job.hash} will be retried: ${failure.reason}`);
    // 30 s, 2 min, 8 min… for the content's failures; the infrastructure's are simply retried at the base delay.
    const growth = failure.countsAsAttempt ? 4 ** Math.max(0, job.attempts - 1) : 1;
    const retryAfterSeconds = Math.min(MAX_RETRY_SECONDS, this.config.retrySeconds * growth);
    const status = await this.jobs
      .recordFailure(job.hash, job.leaseToken, { ...failure, maxAttempts: this.config.maxAttempts, retryAfterSeconds })
      .catch((cause: unknown) => {
        this.logger.warn(`Could not record the failure of ${job.hash} (its lease will lapse): ${describeCause(cause)}`);
        return null;
      });
    if (status === 'failed') this.logger.warn(`Rendering ${job.hash} failed for good: ${failure.reason}`);
    return status === 'failed' ? 'failed' : 'retry';
  }

  /** Heartbeat: pushes the job's lease and the claims on written keys forward; notices when the job is lost. */
  private holdLease(job: ClaimedJob, written: string[]): { check(): void; stop(): void } {
    let lost = false;
    const beat = async () => {
      if (!(await this.jobs.heartbeat(job.hash, job.leaseToken, this.config.leaseSeconds))) lost = true;
      if (written.length > 0) await this.jobs.touchKeys(written);
    };
    // At most a minute apart: the claims on written keys must stay fresh for GC whatever the lease is.
    const interval = Math.min(60_000, (this.config.leaseSeconds * 1000) / 3);
    const timer = setInterval(() => void beat().catch(() => undefined), interval);
    timer.unref();
    return {
      check: () => {
        if (lost) throw new LeaseLost();
      },
      stop: () => clearInterval(timer),
    };
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.sleepers.add(done);
    });
  }
}

function describe(image: RenderedImage, objectKey: string) {
  return {
    kind: image.kind,
    objectKey,
    contentType: image.contentType,
    width: image.width,
    height: image.height,
    size: image.data.length,
  };
}

/** Whether a failure is the content's (counts toward `failed`) or the infrastructure's (retried without limit). */
function classify(error: unknown): { reason: string; countsAsAttempt: boolean } {
  if (error instanceof RenditionFailure) return { reason: error.reason, countsAsAttempt: true };
  if (error instanceof ObjectNotFoundException) {
    return { reason: 'the stored object is missing', countsAsAttempt: true };
  }
  if (error instanceof StorageUnavailableException) {
    return { reason: `storage unavailable: ${describeCause(error)}`, countsAsAttempt: false };
  }
  return { reason: `unexpected error: ${describeCause(error)}`, countsAsAttempt: true };
}

/**
 * Reads from `stream` until at least `bytes` bytes (or the whole stream, if shorter) have arrived, and answers them;
 * the stream stays paused on the rest.
 */
async function readHead(stream: Readable, bytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  while (length < bytes) {
    const chunk = stream.read() as Buffer | null;
    if (chunk !== null) {
      chunks.push(chunk);
      length += chunk.length;
    } else if (stream.readableEnded) {
      break;
    } else {
      // More data, or the end of it (then 'end' follows the last 'readable'); `once` rejects on 'error'.
      const settled = new AbortController();
      await Promise.race([
        once(stream, 'readable', { signal: settled.signal }),
        once(stream, 'end', { signal: settled.signal }),
      ]).finally(() => settled.abort());
    }
  }
  return Buffer.concat(chunks);
}
