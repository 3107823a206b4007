import { registerAs } from '@nestjs/config';
import { validateEnvironment } from './environment.js';
import { parseAddressList, parseCorsOrigins, parseTrustProxy } from './network-lists.js';

/**
 * The configuration namespaces, one per concern. Each reads the validated environment, never `process.env`
 * directly, so a bad value has already stopped the server with a message naming the variable.
 * `main.ts` resolves embedded defaults (database URL, S3 endpoint, JWT secret) into the environment first.
 */
const env = () => validateEnvironment(process.env);

export const appConfig = registerAs('app', () => {
  const e = env();
  return {
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    dataDir: e.DATA_DIR,
    logLevel: e.LOG_LEVEL,
    scheduledJobsEnabled: e.SCHEDULED_JOBS_ENABLED === 'true',
  };
});

export const databaseConfig = registerAs('database', () => {
  const e = env();
  if (!e.DATABASE_URL) throw new Error('DATABASE_URL must be resolved before the application starts');
  return { url: e.DATABASE_URL };
});

export const authConfig = registerAs('auth', () => {
  const e = env();
  if (!e.JWT_SECRET) throw new Error('JWT_SECRET must be resolved before the application starts');
  return {
    jwtSecret: e.JWT_SECRET,
    jwtExpiresInSeconds: e.JWT_EXPIRES_IN_SECONDS,
    refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS,
    mediaUrlWindowSeconds: e.MEDIA_URL_WINDOW_SECONDS,
    adminEmail: e.ADMIN_EMAIL,
    adminPassword: e.ADMIN_PASSWORD,
  };
});

export const uploadConfig = registerAs('upload', () => {
  const e = env();
  return {
    maxFileBytes: e.MAX_FILE_BYTES,
    maxFilesPerRequest: e.MAX_FILES_PER_REQUEST,
    pendingTtlHours: e.PENDING_TTL_HOURS,
    trashRetentionDays: e.TRASH_RETENTION_DAYS,
    orphanGraceMinutes: e.ORPHAN_GRACE_MINUTES,
    uploadSessionTimeoutSeconds: e.UPLOAD_SESSION_TIMEOUT_SECONDS,
    maxRequestBytes: e.MAX_REQUEST_BYTES,
  };
});

/** Maintenance job schedules (see `src/maintenance/job-schedule.ts` for the accepted forms). */
export const jobsConfig = registerAs('jobs', () => {
  const e = env();
  return {
    schedules: {
      'process-deletions': e.JOB_SCHEDULE_PROCESS_DELETIONS,
      'fold-search-counts': e.JOB_SCHEDULE_FOLD_SEARCH_COUNTS,
      'expire-pending': e.JOB_SCHEDULE_EXPIRE_PENDING,
      'purge-trash': e.JOB_SCHEDULE_PURGE_TRASH,
      'collect-garbage': e.JOB_SCHEDULE_COLLECT_GARBAGE,
      'verify-integrity': e.JOB_SCHEDULE_VERIFY_INTEGRITY,
      'generate-renditions': e.JOB_SCHEDULE_GENERATE_RENDITIONS,
    },
    runsKept: e.JOB_RUNS_KEPT,
  };
});

/** The HTTP edge: proxies, CORS, per-client rate limits (in memory, per instance) and graceful shutdown. */
export const httpConfig = registerAs('http', () => {
  const e = env();
  return {
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    corsOrigins: parseCorsOrigins(e.CORS_ORIGINS),
    loginAccountFailuresBeforeSlowdown: e.LOGIN_RATE_LIMIT,
    loginAddressFailuresPerMinute: e.LOGIN_ADDRESS_RATE_LIMIT,
    uploadRateLimitPerMinute: e.UPLOAD_RATE_LIMIT,
    uploadConcurrencyPerUser: e.UPLOAD_CONCURRENCY_PER_USER,
    uploadBytesPerMinute: e.UPLOAD_BYTES_PER_MINUTE,
    shutdownTimeoutSeconds: e.SHUTDOWN_TIMEOUT_SECONDS,
    requestBodyTimeoutSeconds: e.REQUEST_BODY_TIMEOUT_SECONDS,
    requestBodyMinBytes: e.REQUEST_BODY_MIN_BYTES,
    keepAliveSeconds: e.HTTP_KEEP_ALIVE_SECONDS,
  };
});

/** Renditions: whether this instance renders, and the worker's bounds. */
export const renditionsConfig = registerAs('renditions', () => {
  const e = env();
  return {
    role: e.MEDIAVAULT_ROLE,
    workerEnabled: e.MEDIAVAULT_ROLE !== 'api',
    concurrency: e.RENDITION_CONCURRENCY,
    timeoutSeconds: e.RENDITION_TIMEOUT_SECONDS,
    maxAttempts: e.RENDITION_MAX_ATTEMPTS,
    retrySeconds: e.RENDITION_RETRY_SECONDS,
    leaseSeconds: e.RENDITION_LEASE_SECONDS,
    maxInputPixels: e.RENDITION_MAX_PIXELS,
    workerNice: e.RENDITION_WORKER_NICE,
    yieldMaxWaitMs: e.RENDITION_YIELD_SECONDS * 1000,
    yieldBusyCores: e.RENDITION_YIELD_CPU_PERCENT / 100,
  };
});

/** Prometheus metrics: who may scrape them. */
export const metricsConfig = registerAs('metrics', () => {
  const e = env();
  return { allowedIps: parseAddressList(e.METRICS_ALLOWED_IPS) };
});
