/**
 * Per-key exponential backoff for failed reconciles, as client-go's
 * `ItemExponentialFailureRateLimiter` (the only limiter Flux's controllers use): the n-th
 * consecutive failure of a key waits `baseDelayMs * 2^(n-1)`, capped at `maxDelayMs`, until the
 * key is forgotten after a success.
 */

/** Flux's `--min-retry-delay` default: the first retry of a failed key waits 750 ms. */
export const defaultMinRetryDelayMs = 750;

/** Flux's `--max-retry-delay` default: no retry of a failed key waits longer than 15 minutes. */
export const defaultMaxRetryDelayMs = 15 * 60 * 1000;

/** Options of {@link ExponentialFailureRateLimiter}. */
export interface ExponentialFailureRateLimiterOptions {
  /** The delay of the first retry; {@link defaultMinRetryDelayMs} by default. */
  baseDelayMs?: number;
  /** The cap on any delay; {@link defaultMaxRetryDelayMs} by default. */
  maxDelayMs?: number;
}

/** A per-key exponential backoff: each failure of a key doubles its next delay, up to a cap. */
export class ExponentialFailureRateLimiter {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly #failures = new Map<string, number>();

  constructor(options: ExponentialFailureRateLimiterOptions = {}) {
    const baseDelayMs = options.baseDelayMs ?? defaultMinRetryDelayMs;
    const maxDelayMs = options.maxDelayMs ?? defaultMaxRetryDelayMs;
    if (!(baseDelayMs > 0) || !Number.isFinite(baseDelayMs)) {
      throw new RangeError(`baseDelayMs must be a positive number of milliseconds, got ${baseDelayMs}`);
    }
    if (!(maxDelayMs >= baseDelayMs) || !Number.isFinite(maxDelayMs)) {
      throw new RangeError(`maxDelayMs must be at least baseDelayMs (${baseDelayMs}), got ${maxDelayMs}`);
    }
    this.baseDelayMs = baseDelayMs;
    this.maxDelayMs = maxDelayMs;
  }

  /** Records one more failure of `key` and returns how long to wait before retrying it, in ms. */
  when(key: string): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    // 2 ** failures overflows to Infinity after ~1000 failures; the cap still applies.
    return Math.min(this.baseDelayMs * 2 ** failures, this.maxDelayMs);
  }

  /** Resets the failure count of `key`, so its next failure waits the base delay again. */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  /** The number of failures recorded for `key` since it was last forgotten. */
  numRequeues(key: string): number {
    return this.#failures.get(key) ?? 0;
  }
}
