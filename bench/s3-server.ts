/**
 * The embedded S3 server in a process of its own (benchmarks that want it off the bench's thread, as a real S3
 * service would be): `node --import ./test/support/register-ts.mjs bench/s3-server.ts <directory>` prints one JSON
 * line with its endpoint and credentials, then serves until SIGTERM.
 */
import { startEmbeddedS3 } from '../src/embedded/embedded-s3.js';

const directory = process.argv[2];
if (!directory) throw new Error('usage: s3-server.ts <directory>');
const server = await startEmbeddedS3({ directory });
const { endpoint, accessKey, secretKey, region } = server;
process.stdout.write(`${JSON.stringify({ endpoint, accessKey, secretKey, region })}\n`);
process.once('SIGTERM', () => void server.stop().then(() => process.exit(0)));
