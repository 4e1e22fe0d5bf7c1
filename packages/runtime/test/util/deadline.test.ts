import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Deadline, withDeadline } from '../../src/util/deadline.ts';

/** Resolves with the signal's reason once it aborts. */
function aborted(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
}

describe('Deadline', () => {
  it('aborts with a TimeoutError when the time is up, and says so', async () => {
    const deadline = new Deadline(20);
    const reason = await aborted(deadline.signal);
    expect(reason).toBeInstanceOf(DOMException);
    expect((reason as DOMException).name).toBe('TimeoutError');
    expect(deadline.expired).toBe('timeout');
  });

  it("aborts with the caller's reason when the caller aborts first", async () => {
    const caller = new AbortController();
    const deadline = new Deadline(60_000, caller.signal);
    expect(deadline.expired).toBeUndefined();
    const why = new Error('shutting down');
    caller.abort(why);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.signal.reason).toBe(why);
    expect(deadline.expired).toBe('canceled');
    deadline[Symbol.dispose]();
  });

  it('is aborted from the start when the caller already is', () => {
    const caller = new AbortController();
    caller.abort(new Error('gone'));
    const deadline = new Deadline(60_000, caller.signal);
    expect(deadline.signal.aborted).toBe(true);
    expect((deadline.signal.reason as Error).message).toBe('gone');
  });

  it("leaves no listener on the caller's signal once disposed, and no longer follows it", () => {
    const caller = new AbortController();
    const deadlines = Array.from({ length: 50 }, () => new Deadline(60_000, caller.signal));
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(50);
    for (const d of deadlines) d[Symbol.dispose]();
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
    caller.abort();
    expect(deadlines.every((d) => !d.signal.aborted)).toBe(true);
  });

  it("stops following the caller's signal when its time is up", async () => {
    const caller = new AbortController();
    const deadline = new Deadline(20, caller.signal);
    await aborted(deadline.signal);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
  });

  it('withDeadline ends the deadline when the work settles, either way', async () => {
    const caller = new AbortController();
    let seen: AbortSignal | undefined;
    await expect(
      withDeadline(60_000, caller.signal, async (signal) => {
        seen = signal;
        return 'done';
      }),
    ).resolves.toBe('done');
    await expect(
      withDeadline(60_000, caller.signal, async () => {
        throw new Error('failed');
      }),
    ).rejects.toThrow('failed');
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
    caller.abort();
    expect(seen?.aborted).toBe(false);
  });

  it('bounds the work by the time given', async () => {
    const err = await withDeadline(20, undefined, (signal) => aborted(signal).then((reason) => Promise.reject(reason))).catch((e: unknown) => e);
    expect((err as DOMException).name).toBe('TimeoutError');
  });
});
