/** Bounded waiting for a condition, the only way tests wait (never a bare sleep). */
import { setTimeout as delay } from 'node:timers/promises';

/** Options of {@link eventually}. */
export interface EventuallyOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Said in the error when time runs out. */
  description?: string;
}

/**
 * Calls `check` until it returns without throwing, and returns its result. After `timeoutMs`
 * (default 30 s) it throws the last failure, prefixed with the description.
 */
export async function eventually<T>(check: () => Promise<T> | T, opts: EventuallyOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() >= deadline) {
        const why = err instanceof Error ? err.message : String(err);
        throw new Error(`${opts.description ?? 'condition'} not met within ${timeoutMs / 1000}s: ${why}`, { cause: err });
      }
    }
    await delay(opts.intervalMs ?? 250);
  }
}
