import 'reflect-metadata';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MinLength,
  Min,
  ValidateIf,
  validateSync,
  IsNotEmpty,
} from 'class-validator';
import { parseAddressList, parseCorsOrigins, parseTrustProxy, ParsesWith } from './network-lists.js';
import { IsJobSchedule } from '../maintenance/job-schedule.js';

const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));
const emptyToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);

/**
 * Every variable of the configuration contract (API.md, "Running"), validated once at start-up. Anything else
 * in the code reads configuration through the `registerAs` namespaces built from this class.
 */
export class Environment {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/[^\s/]+(:\d+)?\/[^\s/?]+(\?\S*)?$/, {
    message: 'DATABASE_URL must look like postgres://user:pass@host:port/db',
  })
  DATABASE_URL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/]+(:\d+)?\/?$/, { message: 'S3_ENDPOINT must look like http://host:port' })
  S3_ENDPOINT?: string;

  @Transform(emptyToUndefined)
  @ValidateIf((env: Environment) => env.S3_ENDPOINT !== undefined)
  @IsString()
  @IsNotEmpty({ message: 'S3_ACCESS_KEY is required when S3_ENDPOINT is set' })
  S3_ACCESS_KEY?: string;

  @Transform(emptyToUndefined)
  @ValidateIf((env: Environment) => env.S3_ENDPOINT !== undefined)
  @IsString()
  @IsNotEmpty({ message: 'S3_SECRET_KEY is required when S3_ENDPOINT is set' })
  S3_SECRET_KEY?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  S3_REGION?: string;

  @Matches(/^(?=.{3,63}$)[a-z0-9][a-z0-9.-]*[a-z0-9]$/, { message: 'S3_BUCKET must be a valid S3 bucket name' })
  S3_BUCKET = 'mediavault';

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/]+(:\d+)?\/?$/, { message: 'S3_PUBLIC_ENDPOINT must be an http(s) URL without a path' })
  S3_PUBLIC_ENDPOINT?: string;

  @IsString()
  @IsNotEmpty()
  DATA_DIR = './.data';

  @IsEmail({ require_tld: false }, { message: 'ADMIN_EMAIL must be an email address' })
  ADMIN_EMAIL = 'admin@localhost';

  @Transform(emptyToUndefined)
  @IsOptional()
  @MinLength(8, { message: 'ADMIN_PASSWORD must be at least 8 characters' })
  ADMIN_PASSWORD?: string;

  @Transform(emptyToUndefined)
  @ValidateIf((env: Environment) => env.NODE_ENV === 'production' || env.JWT_SECRET !== undefined)
  @IsString({ message: 'JWT_SECRET is required when NODE_ENV=production' })
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET?: string;

  @Transform(toInt)
  @IsInt()
  @Min(60)
  JWT_EXPIRES_IN_SECONDS = 3600;

  /**
   * Signed media URLs (`urls.content`): expiry is rounded up to the end of the next window of this length, so a URL
   * stays the same for a whole window (browsers cache it) and lives between one and two windows.
   */
  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(604_800)
  MEDIA_URL_WINDOW_SECONDS = 3600;

  /** How long a refresh token stays usable; each refresh issues a new one with this lifetime (sliding). */
  @Transform(toInt)
  @IsInt()
  @Min(300)
  REFRESH_TOKEN_TTL_SECONDS = 2_592_000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  MAX_FILE_BYTES = 5_368_709_120;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  MAX_FILES_PER_REQUEST = 100;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  PENDING_TTL_HOURS = 24;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  TRASH_RETENTION_DAYS = 30;

  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(7 * 24 * 3600)
  DOWNLOAD_URL_EXPIRY_SECONDS = 300;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  ORPHAN_GRACE_MINUTES = 60;

  @Transform(toInt)
  @IsInt()
  @Min(10)
  UPLOAD_SESSION_TIMEOUT_SECONDS = 600;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  MAX_REQUEST_BYTES = 10_737_418_240;

  @IsIn(['true', 'false'])
  SCHEDULED_JOBS_ENABLED: 'true' | 'false' = 'true';

  // Maintenance job schedules: `off`, an interval (`30s`, `5m`, `1h`, `7d`) or a cron expression (`0 3 * * *`).
  @IsJobSchedule()
  JOB_SCHEDULE_PROCESS_DELETIONS = '1m';

  @IsJobSchedule()
  JOB_SCHEDULE_FOLD_SEARCH_COUNTS = '1m';

  @IsJobSchedule()
  JOB_SCHEDULE_EXPIRE_PENDING = '5m';

  @IsJobSchedule()
  JOB_SCHEDULE_PURGE_TRASH = '1h';

  @IsJobSchedule()
  JOB_SCHEDULE_COLLECT_GARBAGE = '6h';

  @IsJobSchedule()
  JOB_SCHEDULE_VERIFY_INTEGRITY = '7d';

  /** Off by default: uploads queue their own renditions; the backfill is for upgrades (docs/renditions.md). */
  @IsJobSchedule()
  JOB_SCHEDULE_GENERATE_RENDITIONS = 'off';

  /** How many runs of each job and outcome `job_runs` keeps. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  JOB_RUNS_KEPT = 100;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'verbose'])
  LOG_LEVEL = 'info';

  // --- HTTP edge and operations (src/http, src/metrics) ---
  /** Who may read GET /api/metrics: comma list of addresses / CIDR ranges, or `*` for everyone. */
  @ParsesWith(parseAddressList)
  METRICS_ALLOWED_IPS = '127.0.0.0/8,::1,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16';

  /** Express `trust proxy`: false, true, a hop count, or a comma list of proxy addresses / ranges. */
  @ParsesWith(parseTrustProxy)
  TRUST_PROXY = 'false';

  /** Origins allowed by CORS: comma list of exact origins, `*`, or empty (no CORS headers at all). */
  @ParsesWith(parseCorsOrigins)
  CORS_ORIGINS = '';

  /**
   * Failed logins per client address and account before each further attempt of that pair must wait (1 s,
   * doubling, at most 60 s; reset by a successful login); 0 disables the limit.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  LOGIN_RATE_LIMIT = 10;

  /** Failed logins per minute per client address, whatever the accounts (password spraying); 0 disables it. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  LOGIN_ADDRESS_RATE_LIMIT = 30;

  /**
   * Upload requests per minute per user; 0 (the default) disables it. Off by default: a browser uploading a folder
   * sends one request per file, so a request count limits people, not load (see the two limits below).
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  UPLOAD_RATE_LIMIT = 0;

  /** Upload requests one user may have in progress at once (per instance); 0 disables the limit. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  UPLOAD_CONCURRENCY_PER_USER = 8;

  /**
   * Upload bytes one user may send per minute (per instance): a new upload is refused while the user's uploads of the
   * last minute reached it (one upload is never cut for it); 0 disables the limit. Default 4 GiB (~570 Mbit/s).
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  UPLOAD_BYTES_PER_MINUTE = 4_294_967_296;

  /** On SIGTERM/SIGINT, how long in-flight requests may take to finish before their connections are cut. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(3600)
  SHUTDOWN_TIMEOUT_SECONDS = 25;

  /**
   * A request body that delivers fewer than REQUEST_BODY_MIN_BYTES in this many seconds while the server waits for
   * it is answered 408 and its connection closed (an upload's claim is released); 0 disables the check. Time the
   * server itself is slow to read (storage busy) does not count.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(3600)
  REQUEST_BODY_TIMEOUT_SECONDS = 30;

  /** See REQUEST_BODY_TIMEOUT_SECONDS: the bytes a body must make progress by in each such period. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_073_741_824)
  REQUEST_BODY_MIN_BYTES = 16_384;

  /**
   * How long an idle kept-alive connection stays open. Longer than the idle timeout of the load balancer in front
   * (60 s for most): the balancer must be the one to close an idle connection, or a request it sends just as the
   * server closes it meets a reset and its client a 502. Node's own default is 5 s.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  HTTP_KEEP_ALIVE_SECONDS = 65;

  // --- Renditions (src/renditions) ---
  /** `api`: serve requests, render nothing; `worker`: render (and serve health); `all`: both. */
  @IsIn(['api', 'worker', 'all'])
  MEDIAVAULT_ROLE: 'api' | 'worker' | 'all' = 'all';

  /** Contents this instance renders at once (each one ffmpeg, sharp or PDF thread at a time). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  RENDITION_CONCURRENCY = 2;

  /** Time limit of each decoding step; an ffmpeg still running then is killed and the attempt fails. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  RENDITION_TIMEOUT_SECONDS = 60;

  /** Attempts before a content that can't be rendered is recorded as `failed`. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  RENDITION_MAX_ATTEMPTS = 3;

  /** First retry delay; each further retry waits four times longer (at most an hour). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(86_400)
  RENDITION_RETRY_SECONDS = 30;

  /** A job whose worker sent no heartbeat for this long (it died) is taken again by another worker. */
  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(3600)
  RENDITION_LEASE_SECONDS = 120;

  /** Images (and video frames, PDF pages) with more pixels are refused before decoding: decompression bombs. */
  @Transform(toInt)
  @IsInt()
  @Min(1_000_000)
  @Max(1_000_000_000)
  RENDITION_MAX_PIXELS = 100_000_000;

  /**
   * CPU niceness of a `worker`-role instance (0 keeps the normal priority): on a host it shares with API instances,
   * rendering then only takes the CPU time requests leave. 19, batch work's usual niceness: at 10 uploads beside a
   * busy worker ran at about 0.82 of their speed, at 19 at 0.86-0.93 (docs/renditions.md#figures).
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(19)
  RENDITION_WORKER_NICE = 19;

  /**
   * Longest a background job waits (before it is taken, before its render and between its steps, in all) while
   * requests want the CPU: this instance serves requests (role `all`), or other processes on the host keep
   * `RENDITION_YIELD_CPU_PERCENT` of a core busy. 0: renders never wait. Niceness alone still cost uploads 7-19 %
   * (docs/renditions.md#yielding-to-requests).
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(3600)
  RENDITION_YIELD_SECONDS = 10;

  /** CPU other processes of the host use (percent of one core) above which a render waits; see above. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  RENDITION_YIELD_CPU_PERCENT = 50;
}

export class InvalidConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'InvalidConfigurationError';
  }
}

/** Validates the process environment; throws an error naming every offending variable. */
export function validateEnvironment(env: Record<string, string | undefined>): Environment {
  const known = Object.fromEntries(
    Object.keys(new Environment())
      .concat([
        'DATABASE_URL',
        'S3_ENDPOINT',
        'S3_ACCESS_KEY',
        'S3_SECRET_KEY',
        'S3_REGION',
        'S3_PUBLIC_ENDPOINT',
        'ADMIN_PASSWORD',
        'JWT_SECRET',
      ])
      // Empty counts as unset everywhere (`PORT=` in .env, `${VAR:-}` in compose): the default applies.
      .filter((key) => env[key] !== undefined && env[key] !== '')
      .map((key) => [key, env[key]]),
  );
  const environment = plainToInstance(Environment, known, { exposeDefaultValues: true });
  const errors = validateSync(environment, { whitelist: false });
  if (errors.length > 0) {
    throw new InvalidConfigurationError(
      errors.map((error) => `${error.property}: ${Object.values(error.constraints ?? {}).join('; ')}`),
    );
  }
  return environment;
}
