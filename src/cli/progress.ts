import cliProgress from 'cli-progress';

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

/**
 * The one bar style of the CLI, on stderr (stdout is for results): `[####----] 42%`, then what `describe` adds. When
 * stderr is not a terminal, a plain status line every few seconds instead.
 */
function stderrBar(
  describe: (progress: string, params: cliProgress.Params, payload: { text: string }) => string,
): cliProgress.SingleBar {
  return new cliProgress.SingleBar(
    {
      stream: process.stderr,
      noTTYOutput: true,
      notTTYSchedule: 5000,
      hideCursor: true,
      barsize: 30,
      fps: 5,
      format: (options, params, payload: { text: string }) => {
        const size = options.barsize ?? 30;
        const filled = Math.round(params.progress * size);
        const bar = `${'#'.repeat(filled)}${'-'.repeat(Math.max(0, size - filled))}`;
        return describe(`[${bar}] ${Math.floor(params.progress * 100)}%`, params, payload);
      },
    },
    cliProgress.Presets.shades_classic,
  );
}

/**
 * A progress bar on stderr (stdout is for results): items done / total, bytes done / total, byte rate and ETA.
 * When stderr is not a terminal it prints a plain status line every few seconds instead; `enabled: false`
 * (for `--json`) prints nothing at all.
 */
export class ProgressBar {
  private readonly bar?: cliProgress.SingleBar;
  private readonly startedAt = Date.now();
  private items = 0;
  private bytes = 0;

  constructor(
    enabled: boolean,
    private readonly unit: string,
    private totalItems: number,
    private totalBytes: number,
  ) {
    if (!enabled) return;
    this.bar = stderrBar((progress) => `${progress} | ${this.text()}`);
    this.bar.start(Math.max(1, totalBytes), 0);
  }

  /** Bytes read (or sent) for the current item. */
  addBytes(bytes: number): void {
    this.bytes += bytes;
    this.update();
  }

  itemDone(): void {
    this.items += 1;
    this.update();
  }

  /** More work discovered (a file that has to be sent after hashing it). */
  addTotalBytes(bytes: number): void {
    this.totalBytes += bytes;
    this.bar?.setTotal(Math.max(1, this.totalBytes));
  }

  stop(): void {
    if (!this.bar) return;
    this.bar.update(Math.min(this.bytes, Math.max(1, this.totalBytes)));
    this.bar.stop();
  }

  private update(): void {
    this.bar?.update(Math.min(this.bytes, Math.max(1, this.totalBytes)));
  }

  private text(): string {
    const elapsed = (Date.now() - this.startedAt) / 1000;
    const rate = elapsed > 0 ? this.bytes / elapsed : 0;
    const eta = rate > 0 ? (this.totalBytes - this.bytes) / rate : Number.NaN;
    return (
      `${this.items}/${this.totalItems} ${this.unit} | ${formatBytes(this.bytes)}/${formatBytes(this.totalBytes)} | ` +
      `${formatBytes(rate)}/s | ETA ${formatDuration(eta)}`
    );
  }
}

/**
 * A progress bar of items only (no bytes), on stderr: `done/total unit` and a free-form detail. Like `ProgressBar`,
 * plain status lines every few seconds when stderr is not a terminal, nothing when disabled (`--json`).
 */
export class CountBar {
  private readonly bar?: cliProgress.SingleBar;

  constructor(
    enabled: boolean,
    private readonly unit: string,
  ) {
    if (!enabled) return;
    this.bar = stderrBar(
      (progress, params, payload) => `${progress} | ${params.value}/${params.total} ${unit} | ${payload.text}`,
    );
    this.bar.start(1, 0, { text: '' });
  }

  update(done: number, total: number, text: string): void {
    if (!this.bar) return;
    this.bar.setTotal(Math.max(1, total));
    this.bar.update(Math.min(done, Math.max(1, total)), { text });
  }

  stop(): void {
    this.bar?.stop();
  }
}
