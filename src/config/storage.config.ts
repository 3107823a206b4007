import { registerAs } from '@nestjs/config';
import { validateEnvironment } from './environment.js';

export const storageConfig = registerAs('storage', () => {
  const e = validateEnvironment(process.env);
  if (!e.S3_ENDPOINT) throw new Error('S3_ENDPOINT must be resolved before the application starts');
  return {
    endpoint: e.S3_ENDPOINT,
    publicEndpoint: e.S3_PUBLIC_ENDPOINT ?? e.S3_ENDPOINT,
    accessKey: e.S3_ACCESS_KEY ?? '',
    secretKey: e.S3_SECRET_KEY ?? '',
    region: e.S3_REGION ?? 'us-east-1',
    bucket: e.S3_BUCKET,
    presignExpirySeconds: e.DOWNLOAD_URL_EXPIRY_SECONDS,
  };
});
