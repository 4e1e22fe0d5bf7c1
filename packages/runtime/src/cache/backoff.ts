/**
 * The delay between an informer's attempts to reach the API server after a failure:
 * exponential, capped, jittered so that many informers do not retry in step.
 */

/** Options of {@link Backoff}. */
export interface BackoffOptions {
  /** The first delay (default 500 ms). */
  initialMs?: number;
  /** The largest delay (default 30 s). */
  maxMs?: number;
  /** How much each delay grows (default 2). */
  factor?: number;
  /** Up to this fraction is taken off each delay at random (default 0.2), so delays never exceed `maxMs`. */
  jitter?: number;
  /** A source of numbers in [0, 1); `Math.random` unless a test pins it. */
  random?: () => number;
}

/** An exponential backoff: each {@link Backoff.next} is longer until {@link Backoff.reset}. */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #factor: number;
  readonly #jitter: number;
  readonly #random: () => number;
  #failures = 0;

  constructor(opts: BackoffOptions = {}) {
    this.#initialMs = opts.initialMs ?? 500;
    this.#maxMs = opts.maxMs ?? 30_000;
    this.#factor = opts.factor ?? 2;
    this.#jitter = opts.jitter ?? 0.2;
    this.#random = opts.random ?? Math.random;
  }

  /** The delay before the next attempt, in milliseconds; counts one more failure. */
  next(): number {
    const base = Math.min(this.#initialMs * this.#factor ** this.#failures, this.#maxMs);
    // Stop growing the exponent once capped, so it cannot overflow however long the outage.
    if (base < this.#maxMs) this.#failures++;
    return Math.round(base * (1 - this.#jitter * this.#random()));
  }

  /** Starts again from the first delay (after a success). */
  reset(): void {
    this.#failures = 0;
  }
}
