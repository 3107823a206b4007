import { jest } from '@jest/globals';
import { RateLimiter } from './rate-limit.js';

describe('RateLimiter', () => {
  let limiter: RateLimiter;

  beforeEach(() => {
    jest.useFakeTimers();
    limiter = new RateLimiter();
  });
  afterEach(() => {
    limiter.onModuleDestroy();
    jest.useRealTimers();
  });

  it("survives its minute's sweep while a user's first upload is still in progress (nothing charged yet)", () => {
    // The guard asks before the upload and charges when it ends: an upload crossing the sweep left an empty list,
    // and the sweep threw from a timer, which ended the process.
    expect(limiter.bytesWait('upload|user:a', 1000)).toBe(0);
    expect(() => jest.advanceTimersByTime(60_000)).not.toThrow();
    limiter.charge('upload|user:a', 1000);
    expect(limiter.bytesWait('upload|user:a', 1000)).toBeGreaterThan(0);
  });

  it('forgets bytes once they leave the window, and survives the sweeps after', () => {
    limiter.charge('upload|user:b', 5000);
    expect(limiter.bytesWait('upload|user:b', 1000)).toBeGreaterThan(0);
    jest.advanceTimersByTime(61_000);
    expect(limiter.bytesWait('upload|user:b', 1000)).toBe(0);
    expect(() => jest.advanceTimersByTime(120_000)).not.toThrow();
    expect(limiter.bytesWait('upload|user:b', 1000)).toBe(0);
  });
});
