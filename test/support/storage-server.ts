/**
 * A storage server of a spec's own, for specs that stop it to see what the app does without storage: the run's
 * shared server serves every other spec file. Typical use:
 *
 *   const storage = useOwnStorage();
 *   const t = useTestApp({ env: () => ({ ...storage.env(), ORPHAN_GRACE_MINUTES: '0' }) });
 *   ...
 *   await storage.stop();      // the app now sees storage down
 *   await storage.restart();   // same port, same objects
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedS3, type EmbeddedS3 } from '../../src/embedded/embedded-s3.js';

export interface OwnStorage {
  /** The running server (a new one after `restart`); the server exists from `beforeAll` on. */
  readonly server: EmbeddedS3;
  /** The `S3_*` settings that point an app at this server; call it from `beforeAll` on (`env: () => …`). */
  env(): Record<string, string>;
  stop(): Promise<void>;
  /** Starts the server again on the port it had, over the same directory: the objects it held are back. */
  restart(): Promise<void>;
}

/**
 * Registers `beforeAll` (start) and `afterAll` (stop, remove its directory) in the calling `describe`. Declare it
 * before the `useTestApp` whose `env` reads it.
 */
export function useOwnStorage(): OwnStorage {
  let directory: string | undefined;
  let server: EmbeddedS3 | undefined;
  let port = 0;
  const running = () => {
    if (!server) throw new Error('useOwnStorage: the server runs from beforeAll until afterAll (or stop)');
    return server;
  };
  const start = async () => {
    server = await startEmbeddedS3({ directory: directory!, port });
    port = Number(new URL(server.endpoint).port);
  };
  const stop = async () => {
    const stopping = server;
    server = undefined;
    await stopping?.stop();
  };
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mediavault-own-s3-'));
    await start();
  });
  afterAll(async () => {
    await stop();
    if (directory) await rm(directory, { recursive: true, force: true });
  });
  return {
    get server() {
      return running();
    },
    env: () => {
      const { endpoint, accessKey, secretKey, region } = running();
      return { S3_ENDPOINT: endpoint, S3_ACCESS_KEY: accessKey, S3_SECRET_KEY: secretKey, S3_REGION: region };
    },
    stop,
    restart: start,
  };
}
