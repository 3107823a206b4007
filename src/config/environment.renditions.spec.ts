import { InvalidConfigurationError, validateEnvironment } from './environment.js';

function offending(env: Record<string, string>): string[] {
  try {
    validateEnvironment(env);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigurationError);
    return (error as InvalidConfigurationError).problems.map((problem) => problem.split(':')[0]);
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('rendition configuration', () => {
  it('runs API and worker in one process by default, with bounded rendering', () => {
    expect(validateEnvironment({})).toMatchObject({
      MEDIAVAULT_ROLE: 'all',
      RENDITION_CONCURRENCY: 2,
      RENDITION_TIMEOUT_SECONDS: 60,
      RENDITION_MAX_ATTEMPTS: 3,
      RENDITION_RETRY_SECONDS: 30,
      RENDITION_LEASE_SECONDS: 120,
      RENDITION_MAX_PIXELS: 100_000_000,
    });
  });

  it.each(['api', 'worker', 'all'])('accepts MEDIAVAULT_ROLE=%s', (role) => {
    expect(validateEnvironment({ MEDIAVAULT_ROLE: role }).MEDIAVAULT_ROLE).toBe(role);
  });

  it('names each invalid variable', () => {
    expect(
      offending({
        MEDIAVAULT_ROLE: 'both',
        RENDITION_CONCURRENCY: '0',
        RENDITION_TIMEOUT_SECONDS: 'soon',
        RENDITION_MAX_ATTEMPTS: '0',
        RENDITION_RETRY_SECONDS: '-1',
        RENDITION_LEASE_SECONDS: '1',
        RENDITION_MAX_PIXELS: '100',
      }).sort(),
    ).toEqual([
      'MEDIAVAULT_ROLE',
      'RENDITION_CONCURRENCY',
      'RENDITION_LEASE_SECONDS',
      'RENDITION_MAX_ATTEMPTS',
      'RENDITION_MAX_PIXELS',
      'RENDITION_RETRY_SECONDS',
      'RENDITION_TIMEOUT_SECONDS',
    ]);
  });
});
