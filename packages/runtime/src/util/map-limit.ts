/** Bounded concurrency for per-object work (Flux's `--concurrent-ssa`). */

/**
 * Runs `fn` over `items` with at most `limit` calls in flight, and returns the results in item
 * order. On the first failure (or when `signal`, if given, aborts) no further item is started;
 * the calls in flight are awaited, so none outlives the call, then the first error is thrown.
 * Callers whose `fn` reports failures in its result instead pass no signal: every item runs.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  signal: AbortSignal | undefined,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  let firstError: unknown;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        signal?.throwIfAborted();
        results[i] = await fn(items[i] as T, i);
      } catch (err) {
        if (!failed) {
          failed = true;
          firstError = err;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, () => worker()));
  if (failed) throw firstError;
  return results;
}
