import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isProcessAlive } from '../common/processes.js';
import { startEmbeddedPostgres } from '../embedded/embedded-postgres.js';
import { startEmbeddedS3 } from '../embedded/embedded-s3.js';
import { validateEnvironment, type Environment } from '../config/environment.js';

export interface Runtime {
  environment: Environment;
  /** Stops whatever embedded servers this runtime started (nothing in the production shape). */
  stop(): Promise<void>;
}

export interface PrepareRuntimeOptions {
  /** Default true. The migration CLI needs only the database, so it does not start an embedded S3 server. */
  storage?: boolean;
  /**
   * Use the embedded services a live process already runs for this DATA_DIR (its `runtime.json`) instead of
   * starting a second set, which the embedded PostgreSQL would refuse. The CLI does; a second server does not (it
   * would lose its database when the first one stops).
   */
  attach?: boolean;
}

/**
 * What a process that started embedded services publishes in `<DATA_DIR>/runtime.json` (mode 0600) while they run,
 * so a CLI run beside it can reach them. The credentials are the ones already kept under DATA_DIR.
 */
interface PublishedServices {
  pid: number;
  database?: { url: string };
  storage?: { endpoint: string; accessKey: string; secretKey: string; region: string };
}

/**
 * Resolves the embedded defaults of the configuration contract before Nest starts: an embedded PostgreSQL when
 * DATABASE_URL is unset, an embedded S3 server when S3_ENDPOINT is unset, and a JWT secret kept under DATA_DIR
 * when JWT_SECRET is unset. The resolved values are written back into `process.env`, which the validated
 * configuration layer reads. With every variable set (compose, MinIO), nothing embedded starts.
 */
export async function prepareRuntime(
  env: NodeJS.ProcessEnv = process.env,
  options: PrepareRuntimeOptions = {},
): Promise<Runtime> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const initial = validateEnvironment(env);
  const logger = new Logger('Runtime');
  const dataDir = resolve(initial.DATA_DIR);
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const stopOne of stops.reverse()) await stopOne().catch((error) => logger.error(String(error)));
  };

  try {
    const running = options.attach ? await readPublishedServices(dataDir) : undefined;
    const published: PublishedServices = { pid: process.pid };
    if (!initial.DATABASE_URL && running?.database) {
      env.DATABASE_URL = running.database.url;
      logger.log(`Database: the embedded PostgreSQL of process ${running.pid}, data in ${join(dataDir, 'postgres')}`);
    } else if (!initial.DATABASE_URL) {
      await mkdir(dataDir, { recursive: true });
      const postgres = await startEmbeddedPostgres({ dataDir: join(dataDir, 'postgres') });
      stops.push(() => postgres.stop());
      env.DATABASE_URL = postgres.url;
      published.database = { url: postgres.url };
      logger.log(`Database: embedded PostgreSQL on 127.0.0.1:${postgres.port}, data in ${join(dataDir, 'postgres')}`);
    } else {
      logger.log(`Database: external PostgreSQL at ${redactUrl(initial.DATABASE_URL)}`);
    }

    if (options.storage === false) {
      // Nothing to resolve: the caller never talks to storage.
    } else if (!initial.S3_ENDPOINT && running?.storage) {
      Object.assign(env, {
        S3_ENDPOINT: running.storage.endpoint,
        S3_ACCESS_KEY: running.storage.accessKey,
        S3_SECRET_KEY: running.storage.secretKey,
      });
      env.S3_REGION ??= running.storage.region;
      logger.log(`Storage: the embedded S3 server of process ${running.pid} at ${running.storage.endpoint}`);
    } else if (!initial.S3_ENDPOINT) {
      const s3 = await startEmbeddedS3({ directory: join(dataDir, 'objects') });
      stops.push(() => s3.stop());
      env.S3_ENDPOINT = s3.endpoint;
      env.S3_ACCESS_KEY = s3.accessKey;
      env.S3_SECRET_KEY = s3.secretKey;
      env.S3_REGION ??= s3.region;
      published.storage = {
        endpoint: s3.endpoint,
        accessKey: s3.accessKey,
        secretKey: s3.secretKey,
        region: s3.region,
      };
      logger.log(`Storage: embedded S3 server at ${s3.endpoint}, objects in ${join(dataDir, 'objects')}`);
    } else {
      logger.log(`Storage: external S3 at ${initial.S3_ENDPOINT}, bucket ${initial.S3_BUCKET}`);
    }

    if (published.database || published.storage) {
      await publishServices(dataDir, published);
      // Withdrawn before the services stop: a CLI starting meanwhile finds nothing to attach to, not a dying server.
      stops.push(() => withdrawServices(dataDir));
    }
    if (!initial.JWT_SECRET) env.JWT_SECRET = await persistentSecret(join(dataDir, 'jwt-secret'));
    return { environment: validateEnvironment(env), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

const PUBLISHED_FILE = 'runtime.json';

/** Written to a temporary file and renamed: a reader never sees half of it. */
async function publishServices(dataDir: string, services: PublishedServices): Promise<void> {
  const temporary = join(dataDir, `${PUBLISHED_FILE}.${process.pid}.tmp`);
  await writeFile(temporary, JSON.stringify(services), { mode: 0o600 });
  await rename(temporary, join(dataDir, PUBLISHED_FILE));
}

/** Removes `runtime.json` if this process wrote it (another process may have published since). */
async function withdrawServices(dataDir: string): Promise<void> {
  const file = join(dataDir, PUBLISHED_FILE);
  try {
    const services = JSON.parse(await readFile(file, 'utf8')) as PublishedServices;
    if (services.pid === process.pid) await unlink(file);
  } catch {
    // Gone already, or unreadable: nothing of ours to remove.
  }
}

/** The services published for `dataDir` by a process that is still alive; undefined otherwise (none, or stale). */
async function readPublishedServices(dataDir: string): Promise<PublishedServices | undefined> {
  let services: PublishedServices;
  try {
    services = JSON.parse(await readFile(join(dataDir, PUBLISHED_FILE), 'utf8')) as PublishedServices;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(services.pid) || services.pid === process.pid || !isProcessAlive(services.pid))
    return undefined;
  return services;
}

/** A random secret generated on first use and kept in `file`, so tokens survive restarts. */
async function persistentSecret(file: string): Promise<string> {
  try {
    const existing = (await readFile(file, 'utf8')).trim();
    if (existing.length >= 32) return existing;
  } catch {
    // Not there yet: generate it below.
  }
  const secret = randomBytes(48).toString('base64url');
  await mkdir(resolve(file, '..'), { recursive: true });
  try {
    // `wx`: when two instances race on a fresh DATA_DIR, the first writer wins and the other reads its secret.
    await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch {
    return (await readFile(file, 'utf8')).trim();
  }
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
