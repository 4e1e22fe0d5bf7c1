import { expect, test } from 'vitest';
import { mapLimit } from '../../src/util/map-limit.ts';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test('keeps item order and at most limit calls in flight', async () => {
  let inFlight = 0;
  let most = 0;
  const results = await mapLimit([5, 1, 4, 2, 3], 2, AbortSignal.timeout(5_000), async (n) => {
    inFlight++;
    most = Math.max(most, inFlight);
    await Promise.resolve();
    inFlight--;
    return n * 10;
  });
  expect(results).toEqual([50, 10, 40, 20, 30]);
  expect(most).toBe(2);
});

test('stops starting items after the first failure and throws it', async () => {
  const started: number[] = [];
  const gate = deferred();
  const run = mapLimit([0, 1, 2, 3, 4], 2, AbortSignal.timeout(5_000), async (n) => {
    started.push(n);
    if (n === 0) throw new Error('boom');
    await gate.promise;
    return n;
  });
  gate.resolve();
  await expect(run).rejects.toThrow('boom');
  expect(started).toEqual([0, 1]);
});

test('an aborted signal starts nothing', async () => {
  const controller = new AbortController();
  controller.abort(new Error('cancelled'));
  const started: number[] = [];
  await expect(mapLimit([1, 2], 2, controller.signal, async (n) => { started.push(n); return n; })).rejects.toThrow('cancelled');
  expect(started).toEqual([]);
});

test('no items', async () => {
  expect(await mapLimit([], 4, AbortSignal.timeout(1_000), async () => 1)).toEqual([]);
});
