import { describe, expect, it } from 'vitest';
import { Backoff } from '../../src/cache/backoff.ts';

const delays = (backoff: Backoff, n: number): number[] => Array.from({ length: n }, () => backoff.next());

describe('Backoff', () => {
  it.each([
    { name: 'defaults, no jitter drawn', opts: { random: () => 0 }, want: [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000] },
    { name: 'defaults, most jitter drawn', opts: { random: () => 0.999999 }, want: [400, 800, 1600, 3200, 6400, 12800, 24000, 24000] },
    { name: 'custom', opts: { initialMs: 100, maxMs: 1000, factor: 3, jitter: 0, random: () => 0.5 }, want: [100, 300, 900, 1000, 1000, 1000, 1000, 1000] },
  ])('$name', ({ opts, want }) => {
    expect(delays(new Backoff(opts), want.length)).toEqual(want);
  });

  it('starts again from the first delay after reset', () => {
    const backoff = new Backoff({ random: () => 0 });
    expect(delays(backoff, 3)).toEqual([500, 1000, 2000]);
    backoff.reset();
    expect(delays(backoff, 2)).toEqual([500, 1000]);
  });

  it('stays capped however long it fails', () => {
    const backoff = new Backoff({ random: () => 0 });
    expect(delays(backoff, 10_000).at(-1)).toBe(30_000);
  });
});
