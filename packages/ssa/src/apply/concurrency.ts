/** Bounded concurrency for per-object work (Flux's `--concurrent-ssa`). */

/**
 * Calls `fn` on every item with at most `limit` calls in flight, and returns the results in
 * item order. On the first failure (or when `signal` aborts) no further item is started; the
 * calls in flight are awaited, then the first error is thrown.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, signal: AbortSignal, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  let firstError: unknown;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        signal.throwIfAborted();
        results[i] = await fn(items[i]!, i);
      } catch (err) {
        if (!failed) {
          failed = true;
          firstError = err;
        }
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, () => worker());
  await Promise.all(workers);
  if (failed) throw firstError;
  return results;
}
