import { validateEnvironment, InvalidConfigurationError } from './environment.js';
import { parseAddressList, parseCorsOrigins, parseTrustProxy } from './network-lists.js';

describe('network lists', () => {
  it('parses address allow-lists: single addresses, CIDR ranges of both families, or *', () => {
    expect(parseAddressList('*')).toBe('*');
    expect(parseAddressList(' 10.0.0.0/8, ::1 ,192.0.2.7')).toEqual([
      { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
      { address: '::1', prefix: 128, family: 'ipv6' },
      { address: '192.0.2.7', prefix: 32, family: 'ipv4' },
    ]);
    for (const bad of ['10.0.0.0/33', 'example.com', '10.0.0.0/8/1', '::1/129', '10.0.0.0/x']) {
      expect(() => parseAddressList(bad)).toThrow(/not an IP address|invalid prefix/);
    }
  });

  it('parses trust proxy as Express takes it', () => {
    expect(parseTrustProxy('false')).toBe(false);
    expect(parseTrustProxy('true')).toBe(true);
    expect(parseTrustProxy('2')).toBe(2);
    expect(parseTrustProxy('loopback, 10.0.0.0/8')).toEqual(['loopback', '10.0.0.0/8']);
    expect(() => parseTrustProxy('yes')).toThrow();
  });

  it('parses CORS origins: exact origins only', () => {
    expect(parseCorsOrigins('')).toBe(false);
    expect(parseCorsOrigins('*')).toBe('*');
    expect(parseCorsOrigins('https://app.example.com, http://localhost:5173')).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
    ]);
    for (const bad of [
      'https://app.example.com/',
      'app.example.com',
      'ftp://x.example.com',
      'https://a.example.com/path',
    ]) {
      expect(() => parseCorsOrigins(bad)).toThrow(/not an origin/);
    }
  });

  it('is validated with the environment, naming the variable', () => {
    expect(validateEnvironment({})).toMatchObject({
      METRICS_ALLOWED_IPS: '127.0.0.0/8,::1,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16',
      TRUST_PROXY: 'false',
      CORS_ORIGINS: '',
      LOGIN_RATE_LIMIT: 10,
      UPLOAD_RATE_LIMIT: 0,
      UPLOAD_CONCURRENCY_PER_USER: 8,
      UPLOAD_BYTES_PER_MINUTE: 4_294_967_296,
      SHUTDOWN_TIMEOUT_SECONDS: 25,
    });
    try {
      validateEnvironment({ METRICS_ALLOWED_IPS: '10.0.0.0/40', CORS_ORIGINS: 'nope', LOGIN_RATE_LIMIT: '-1' });
      throw new Error('expected a refusal');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidConfigurationError);
      const problems = (error as InvalidConfigurationError).problems;
      expect(problems).toContainEqual(
        expect.stringMatching(/^METRICS_ALLOWED_IPS: "10\.0\.0\.0\/40" has an invalid prefix length/),
      );
      expect(problems).toContainEqual(expect.stringMatching(/^CORS_ORIGINS: "nope" is not an origin/));
      expect(problems).toContainEqual(expect.stringMatching(/^LOGIN_RATE_LIMIT: /));
    }
  });
});
