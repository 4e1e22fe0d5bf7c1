import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TokenBucket } from '../../src/client/rate-limiter.ts';

describe('TokenBucket', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('lets a burst through at once, then one request per 1/qps seconds, in order', async () => {
    const bucket = new TokenBucket(10, 3, () => Date.now());
    const done: number[] = [];
    const start = Date.now();
    const all = Array.from({ length: 6 }, (_, i) => bucket.take().then(() => done.push(i)));
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toEqual([0, 1, 2]);
    await vi.advanceTimersByTimeAsync(100);
    expect(done).toEqual([0, 1, 2, 3]);
    await vi.advanceTimersByTimeAsync(200);
    await Promise.all(all);
    expect(done).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Date.now() - start).toBe(300);
  });

  it('never waits when qps is 0 (no limit)', async () => {
    const bucket = new TokenBucket(0, 1);
    await Promise.all(Array.from({ length: 1000 }, () => bucket.take()));
    expect(vi.getTimerCount()).toBe(0);
  });
});
