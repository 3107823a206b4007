import { readFileSync } from 'node:fs';

/**
 * CPU time other processes of this host used lately, in cores (1 = one core fully busy), from `/proc/stat`'s
 * host-wide counters minus this process's own time. Linux only (elsewhere it always answers 0). In a container
 * `/proc/stat` is usually the host's, which is what matters: an API instance beside the worker on the same machine.
 */
export class OtherProcessesCpu implements CpuLoadSource {
  private last?: { hostMs: number; ownMs: number; at: number };
  private cores = 0;

  /** The readers are ports for specs; by default the host's `/proc/stat`, this process's CPU time and the clock. */
  constructor(
    private readonly read: {
      hostBusyMs(): number | undefined;
      ownCpuMs(): number;
      now(): number;
    } = { hostBusyMs, ownCpuMs, now: () => performance.now() },
  ) {}

  /** Takes a sample: `coresInUse` is then the load between this sample and the previous one. */
  sample(): void {
    const hostMs = this.read.hostBusyMs();
    if (hostMs === undefined) return;
    const now = { hostMs, ownMs: this.read.ownCpuMs(), at: this.read.now() };
    if (this.last && now.at > this.last.at) {
      const others = now.hostMs - this.last.hostMs - (now.ownMs - this.last.ownMs);
      this.cores = Math.max(0, others / (now.at - this.last.at));
    }
    this.last = now;
  }

  /** Cores other processes used between the last two samples. */
  get coresInUse(): number {
    return this.cores;
  }
}

function ownCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** The host's busy time (user, nice, system, irq, softirq; not idle, iowait or steal) in ms, from `/proc/stat`. */
function hostBusyMs(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const line = readFileSync('/proc/stat', 'utf8').slice(0, 256).split('\n')[0];
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    if (ticks.length < 7 || ticks.some(Number.isNaN)) return undefined;
    const [user, nice, system, , , irq, softirq] = ticks;
    // USER_HZ is 100 on every Linux this runs on: a tick is 10 ms.
    return (user + nice + system + irq + softirq) * 10;
  } catch {
    return undefined;
  }
}

/** What `RenderYield` asks of the host's CPU (`OtherProcessesCpu`; specs play a busy host with a fake). */
export interface CpuLoadSource {
  sample(): void;
  readonly coresInUse: number;
}

export interface RenderYieldOptions {
  /** Longest a render waits for the host to calm down (0: never waits). */
  maxWaitMs: number;
  /** Other processes using at least this many cores make the host busy. */
  busyCores: number;
  /** Requests this process is serving right now (role `all`); none when it serves none. */
  activeRequests?: () => number;
  /** How often a waiting render looks again. */
  pollMs?: number;
  /** How often the host is sampled: 100 ms is ten of `/proc/stat`'s ticks per core, enough to tell 0.5 core. */
  sampleMs?: number;
  /** Other processes' CPU; by default `OtherProcessesCpu`. */
  otherProcesses?: CpuLoadSource;
}

/**
 * Rendering gives way to requests. Niceness alone does not keep a render from slowing an upload on the same host:
 * on the 2-core machine of docs/renditions.md#figures, even an empty loop at niceness 19 costs uploads 8-10 % of
 * their throughput (shared caches, memory bandwidth, the hypervisor), and a render 14 %. So before it takes a job,
 * before it renders one and between the render's steps, a worker lane looks: while this process serves requests, or
 * other processes keep at least `busyCores` busy (an API instance, its S3 service and database on the same machine),
 * it waits, at most `maxWaitMs` per job in all so the queue still moves under constant load. A step already running
 * finishes. On a host of its own a worker never waits: its own storage and database requests stay far below the
 * threshold.
 */
export class RenderYield {
  private readonly pollMs: number;
  private readonly sampleMs: number;
  private readonly others: CpuLoadSource;
  private sampler?: NodeJS.Timeout;

  constructor(private readonly options: RenderYieldOptions) {
    this.pollMs = options.pollMs ?? 50;
    this.sampleMs = options.sampleMs ?? 100;
    this.others = options.otherProcesses ?? new OtherProcessesCpu();
  }

  get enabled(): boolean {
    return this.options.maxWaitMs > 0;
  }

  /** Samples the host in the background, so the first look before a render already knows the recent load. */
  start(): void {
    if (!this.enabled || this.sampler) return;
    this.others.sample();
    this.sampler = setInterval(() => this.others.sample(), this.sampleMs);
    this.sampler.unref();
  }

  stop(): void {
    clearInterval(this.sampler);
    this.sampler = undefined;
  }

  /** Whether requests want the CPU now. */
  busy(): boolean {
    if ((this.options.activeRequests?.() ?? 0) > 0) return true;
    return this.others.coresInUse >= this.options.busyCores;
  }

  /** Longest a render waits for the host to calm down, in ms (0: never waits). */
  get maxWaitMs(): number {
    return this.options.maxWaitMs;
  }

  /**
   * Waits while the host is busy (at most `maxWaitMs`, or `budgetMs` when less is left of it, and no longer once
   * `cancelled` answers true, at shutdown); answers how long it waited, in ms (0 when the host was quiet).
   */
  async waitForQuiet(cancelled: () => boolean = () => false, budgetMs = this.options.maxWaitMs): Promise<number> {
    if (!this.enabled || budgetMs <= 0) return 0;
    if (!this.sampler) this.others.sample();
    if (!this.busy()) return 0;
    const started = performance.now();
    const limitMs = Math.min(budgetMs, this.options.maxWaitMs);
    while (!cancelled() && this.busy() && performance.now() - started < limitMs) {
      await new Promise((resolve) => setTimeout(resolve, this.pollMs));
      if (!this.sampler) this.others.sample();
    }
    return performance.now() - started;
  }
}
