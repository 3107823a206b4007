import { InvalidConfigurationError, validateEnvironment } from './environment.js';

/** The problems `validateEnvironment` reports for `env`, or fails the test when it accepts it. */
function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    validateEnvironment(env);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigurationError);
    return (error as InvalidConfigurationError).problems;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

/** Each problem line starts with the variable it is about, so an operator sees at once what to fix. */
function offendingVariables(env: Record<string, string | undefined>): string[] {
  return problemsOf(env).map((problem) => problem.split(':')[0]);
}

describe('validateEnvironment', () => {
  it('applies the defaults of the configuration contract to an empty environment', () => {
    const environment = validateEnvironment({});
    expect(environment).toMatchObject({
      NODE_ENV: 'development',
      PORT: 3000,
      S3_BUCKET: 'mediavault',
      DATA_DIR: './.data',
      ADMIN_EMAIL: 'admin@localhost',
      JWT_EXPIRES_IN_SECONDS: 3600,
      MAX_FILE_BYTES: 5_368_709_120,
      PENDING_TTL_HOURS: 24,
      TRASH_RETENTION_DAYS: 30,
      SCHEDULED_JOBS_ENABLED: 'true',
    });
    // Unset means "embedded" (database, storage) or "generated" (JWT secret, admin password).
    expect(environment.DATABASE_URL).toBeUndefined();
    expect(environment.S3_ENDPOINT).toBeUndefined();
    expect(environment.JWT_SECRET).toBeUndefined();
    expect(environment.ADMIN_PASSWORD).toBeUndefined();
  });

  it('turns numeric variables into numbers', () => {
    const environment = validateEnvironment({ PORT: '8080', MAX_FILE_BYTES: '1024', PENDING_TTL_HOURS: '2' });
    expect(environment.PORT).toBe(8080);
    expect(environment.MAX_FILE_BYTES).toBe(1024);
    expect(environment.PENDING_TTL_HOURS).toBe(2);
  });

  it('treats empty values as unset (a blank line in .env must not switch off the embedded defaults)', () => {
    const environment = validateEnvironment({ DATABASE_URL: '', S3_ENDPOINT: '', JWT_SECRET: '', ADMIN_PASSWORD: '' });
    expect(environment.DATABASE_URL).toBeUndefined();
    expect(environment.S3_ENDPOINT).toBeUndefined();
    expect(environment.JWT_SECRET).toBeUndefined();
    expect(environment.ADMIN_PASSWORD).toBeUndefined();
  });

  it('treats an empty value as unset for variables with a default too', () => {
    const environment = validateEnvironment({
      PORT: '',
      MAX_FILE_BYTES: '',
      S3_BUCKET: '',
      DATA_DIR: '',
      NODE_ENV: '',
    });
    expect(environment).toMatchObject({
      PORT: 3000,
      MAX_FILE_BYTES: 5_368_709_120,
      S3_BUCKET: 'mediavault',
      DATA_DIR: './.data',
    });
    expect(environment.NODE_ENV).toBe('development');
  });

  it('ignores variables it does not know', () => {
    expect(() => validateEnvironment({ PATH: '/usr/bin', HOME: '/root', SOMETHING_ELSE: '!' })).not.toThrow();
  });

  it('accepts a complete production environment', () => {
    const environment = validateEnvironment({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://mediavault:secret@db:5432/mediavault',
      S3_ENDPOINT: 'http://minio:9000',
      S3_ACCESS_KEY: 'minio',
      S3_SECRET_KEY: 'minio-secret',
      S3_PUBLIC_ENDPOINT: 'https://files.example.com',
      JWT_SECRET: 'x'.repeat(32),
      ADMIN_EMAIL: 'root@example.com',
      ADMIN_PASSWORD: 'long-enough',
    });
    expect(environment.NODE_ENV).toBe('production');
    expect(environment.S3_PUBLIC_ENDPOINT).toBe('https://files.example.com');
  });

  it('requires JWT_SECRET when NODE_ENV=production, and names it', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^JWT_SECRET: .*required when NODE_ENV=production/);
  });

  it('refuses a short JWT_SECRET in any environment', () => {
    expect(offendingVariables({ JWT_SECRET: 'short' })).toEqual(['JWT_SECRET']);
    expect(offendingVariables({ NODE_ENV: 'production', JWT_SECRET: 'short' })).toEqual(['JWT_SECRET']);
  });

  it('names DATABASE_URL when it is not a postgres URL', () => {
    for (const url of [
      'mysql://user:pass@host:3306/db',
      'not a url',
      'postgres://host:5432',
      'postgres://host/db name',
    ]) {
      expect(offendingVariables({ DATABASE_URL: url })).toEqual(['DATABASE_URL']);
    }
    expect(() =>
      validateEnvironment({ DATABASE_URL: 'postgresql://u:p@127.0.0.1:5432/mv?sslmode=require' }),
    ).not.toThrow();
  });

  it('requires S3_ACCESS_KEY and S3_SECRET_KEY when S3_ENDPOINT is set', () => {
    const problems = problemsOf({ S3_ENDPOINT: 'http://127.0.0.1:9000' });
    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual(['S3_ACCESS_KEY', 'S3_SECRET_KEY']);
    expect(problems.join('\n')).toMatch(/required when S3_ENDPOINT is set/);
    expect(offendingVariables({ S3_ENDPOINT: 'http://127.0.0.1:9000', S3_ACCESS_KEY: 'key' })).toEqual([
      'S3_SECRET_KEY',
    ]);
  });

  it('does not require S3 keys for the embedded server (S3_ENDPOINT unset)', () => {
    expect(() => validateEnvironment({ S3_ACCESS_KEY: undefined, S3_SECRET_KEY: undefined })).not.toThrow();
  });

  it('refuses an S3_ENDPOINT or S3_PUBLIC_ENDPOINT with a path, and a malformed bucket name', () => {
    expect(
      offendingVariables({ S3_ENDPOINT: 'http://minio:9000/bucket', S3_ACCESS_KEY: 'k', S3_SECRET_KEY: 's' }),
    ).toEqual(['S3_ENDPOINT']);
    expect(offendingVariables({ S3_PUBLIC_ENDPOINT: 'ftp://files' })).toEqual(['S3_PUBLIC_ENDPOINT']);
    expect(offendingVariables({ S3_BUCKET: 'Not_A_Bucket' })).toEqual(['S3_BUCKET']);
  });

  it('refuses out-of-range and non-numeric numbers', () => {
    expect(offendingVariables({ PORT: 'http' })).toEqual(['PORT']);
    expect(offendingVariables({ PORT: '70000' })).toEqual(['PORT']);
    expect(offendingVariables({ MAX_FILE_BYTES: '0' })).toEqual(['MAX_FILE_BYTES']);
    expect(offendingVariables({ PENDING_TTL_HOURS: '1.5' })).toEqual(['PENDING_TTL_HOURS']);
  });

  it('refuses an unknown NODE_ENV, a bad ADMIN_EMAIL and a short ADMIN_PASSWORD', () => {
    expect(offendingVariables({ NODE_ENV: 'staging' })).toEqual(['NODE_ENV']);
    expect(offendingVariables({ ADMIN_EMAIL: 'not-an-email' })).toEqual(['ADMIN_EMAIL']);
    expect(offendingVariables({ ADMIN_PASSWORD: 'short' })).toEqual(['ADMIN_PASSWORD']);
  });

  it('reports every offending variable at once, in a message that names them', () => {
    const env = { NODE_ENV: 'production', DATABASE_URL: 'nope', PORT: '-1' };
    expect(offendingVariables(env).sort()).toEqual(['DATABASE_URL', 'JWT_SECRET', 'PORT']);
    expect(() => validateEnvironment(env)).toThrow(
      /Invalid configuration:[\s\S]*DATABASE_URL[\s\S]*PORT|PORT[\s\S]*DATABASE_URL/,
    );
  });
});
