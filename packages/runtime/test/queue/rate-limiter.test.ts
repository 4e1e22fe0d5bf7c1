import { describe, expect, it } from 'vitest';
import { ExponentialFailureRateLimiter, defaultMaxRetryDelayMs, defaultMinRetryDelayMs } from '../../src/queue/rate-limiter.ts';

describe('ExponentialFailureRateLimiter', () => {
  it('defaults to Flux --min-retry-delay 750ms and --max-retry-delay 15m', () => {
    const limiter = new ExponentialFailureRateLimiter();
    expect([limiter.baseDelayMs, limiter.maxDelayMs, defaultMinRetryDelayMs, defaultMaxRetryDelayMs]).toEqual([750, 900_000, 750, 900_000]);
  });

  it.each([
    {
      name: 'Flux defaults double from 750ms and cap at 15m',
      options: {},
      failures: 14,
      want: [750, 1500, 3000, 6000, 12_000, 24_000, 48_000, 96_000, 192_000, 384_000, 768_000, 900_000, 900_000, 900_000],
    },
    { name: 'custom base and cap', options: { baseDelayMs: 5, maxDelayMs: 1000 }, failures: 10, want: [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000] },
    { name: 'base equal to cap never grows', options: { baseDelayMs: 100, maxDelayMs: 100 }, failures: 3, want: [100, 100, 100] },
  ])('$name', ({ options, failures, want }) => {
    const limiter = new ExponentialFailureRateLimiter(options);
    const got = Array.from({ length: failures }, () => limiter.when('ns/a'));
    expect(got).toEqual(want);
    expect(limiter.numRequeues('ns/a')).toBe(failures);
  });

  it('keeps a count per key, and forget resets only that key', () => {
    const limiter = new ExponentialFailureRateLimiter();
    const got = [limiter.when('ns/a'), limiter.when('ns/a'), limiter.when('ns/b'), limiter.when('ns/a')];
    expect(got).toEqual([750, 1500, 750, 3000]);
    limiter.forget('ns/a');
    expect([limiter.numRequeues('ns/a'), limiter.numRequeues('ns/b'), limiter.numRequeues('ns/never')]).toEqual([0, 1, 0]);
    expect([limiter.when('ns/a'), limiter.when('ns/b')]).toEqual([750, 1500]);
  });

  it('stays at the cap after very many failures', () => {
    const limiter = new ExponentialFailureRateLimiter();
    for (let i = 0; i < 5000; i++) limiter.when('ns/a');
    expect(limiter.when('ns/a')).toBe(900_000);
  });

  it.each([
    { name: 'zero base', options: { baseDelayMs: 0 } },
    { name: 'negative base', options: { baseDelayMs: -1 } },
    { name: 'NaN base', options: { baseDelayMs: Number.NaN } },
    { name: 'cap below base', options: { baseDelayMs: 1000, maxDelayMs: 999 } },
    { name: 'infinite cap', options: { maxDelayMs: Number.POSITIVE_INFINITY } },
  ])('rejects $name', ({ options }) => {
    expect(() => new ExponentialFailureRateLimiter(options)).toThrow(RangeError);
  });
});
