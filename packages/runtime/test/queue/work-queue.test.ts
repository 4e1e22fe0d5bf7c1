import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMetrics } from '../../src/metrics/metrics.ts';
import type { Metrics } from '../../src/metrics/metrics.ts';
import { WorkQueue } from '../../src/queue/work-queue.ts';

/** Takes every ready key without waiting, marking each processing. */
async function drainReady(queue: WorkQueue): Promise<string[]> {
  const keys: string[] = [];
  while (queue.len() > 0) {
    const key = await queue.get();
    if (key === undefined) break;
    keys.push(key);
  }
  return keys;
}

/** Lets pending promise callbacks run (no timers involved). */
async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

describe('WorkQueue de-duplication', () => {
  it.each([
    { name: 'one key added many times is queued once', adds: ['a', 'a', 'a'], want: ['a'] },
    { name: 'first add fixes the position', adds: ['a', 'b', 'a', 'c', 'b'], want: ['a', 'b', 'c'] },
    { name: 'distinct keys stay first-in first-out', adds: ['ns/z', 'ns/y', 'other/x'], want: ['ns/z', 'ns/y', 'other/x'] },
    { name: 'nothing added', adds: [], want: [] },
  ])('$name', async ({ adds, want }) => {
    const queue = new WorkQueue({ name: 'test' });
    for (const key of adds) queue.add(key);
    expect(queue.len()).toBe(want.length);
    expect(await drainReady(queue)).toEqual(want);
    expect(queue.len()).toBe(0);
  });

  it('marks a key added while processing dirty and queues it once when done', async () => {
    const queue = new WorkQueue({ name: 'test' });
    queue.add('a');
    expect(await queue.get()).toBe('a');
    queue.add('a');
    queue.add('a');
    queue.add('b');
    // Only b is ready: a is held by its worker.
    expect(queue.len()).toBe(1);
    expect(await queue.get()).toBe('b');
    expect(queue.len()).toBe(0);
    queue.done('a');
    expect(queue.len()).toBe(1);
    expect(await queue.get()).toBe('a');
    queue.done('a');
    queue.done('b');
    expect(queue.len()).toBe(0);
  });

  it('does not queue a processed key again when it was not added meanwhile', async () => {
    const queue = new WorkQueue({ name: 'test' });
    queue.add('a');
    await queue.get();
    queue.done('a');
    expect(queue.len()).toBe(0);
  });

  it('ignores done for a key that is not being processed', async () => {
    const queue = new WorkQueue({ name: 'test' });
    queue.add('a');
    queue.done('a');
    queue.done('never');
    expect(queue.len()).toBe(1);
    expect(await drainReady(queue)).toEqual(['a']);
  });
});

describe('WorkQueue concurrent getters', () => {
  it('hands waiting getters keys in order, never one key to two getters', async () => {
    const queue = new WorkQueue({ name: 'test' });
    const got: (string | undefined)[] = [];
    const getters = [queue.get(), queue.get(), queue.get()].map((p) => p.then((key) => got.push(key)));
    queue.add('a');
    queue.add('a');
    queue.add('b');
    await flushMicrotasks();
    expect(got).toEqual(['a', 'b']);
    // a is processing: adding it again must not wake the third getter.
    queue.add('a');
    await flushMicrotasks();
    expect(got).toEqual(['a', 'b']);
    queue.done('b');
    await flushMicrotasks();
    expect(got).toEqual(['a', 'b']);
    queue.done('a');
    await Promise.all(getters);
    expect(got).toEqual(['a', 'b', 'a']);
  });

  it('keeps single flight per key and processes every key after its last add, with many workers', async () => {
    const queue = new WorkQueue({ name: 'test' });
    const keys = ['ns/a', 'ns/b', 'ns/c', 'ns/d', 'ns/e'];
    // A deterministic pseudo-random schedule (linear congruential generator).
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    let step = 0;
    const inFlight = new Set<string>();
    const overlaps: string[] = [];
    const lastAdd = new Map<string, number>();
    const lastStart = new Map<string, number>();
    const add = (key: string): void => {
      // Adds after the shut down are dropped by design; the guarantee covers the ones before.
      if (!queue.isShuttingDown()) lastAdd.set(key, step++);
      queue.add(key);
    };

    const worker = async (): Promise<number> => {
      let processed = 0;
      for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
        if (inFlight.has(key)) overlaps.push(key);
        inFlight.add(key);
        lastStart.set(key, step++);
        processed++;
        for (let i = random(5); i > 0; i--) await Promise.resolve();
        // A reconcile sometimes triggers another event for a key.
        if (random(4) === 0) add(keys[random(keys.length)]!);
        inFlight.delete(key);
        queue.done(key);
      }
      return processed;
    };
    const workers = Array.from({ length: 4 }, () => worker());

    for (let i = 0; i < 500; i++) {
      add(keys[random(keys.length)]!);
      for (let j = random(3); j > 0; j--) await Promise.resolve();
    }
    // Let the workers finish everything queued before shutting down.
    for (let i = 0; i < 1000 && (queue.len() > 0 || inFlight.size > 0); i++) await Promise.resolve();
    await queue.shutDownWithDrain();
    const processed = await Promise.all(workers);

    expect(overlaps).toEqual([]);
    expect(processed.reduce((a, b) => a + b, 0)).toBeGreaterThan(keys.length);
    for (const key of keys) expect(lastStart.get(key)! > lastAdd.get(key)!, key).toBe(true);
  });
});

describe('WorkQueue delays', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Advances the clock in steps and returns which keys became ready at which time. */
  async function readyTimeline(queue: WorkQueue, untilMs: number, stepMs: number): Promise<[number, string[]][]> {
    const timeline: [number, string[]][] = [];
    const start = Date.now();
    for (let t = 0; t <= untilMs; t += stepMs) {
      if (t > 0) vi.advanceTimersByTime(stepMs);
      const keys = await drainReady(queue);
      if (keys.length > 0) timeline.push([Date.now() - start, keys]);
      for (const key of keys) queue.done(key);
    }
    return timeline;
  }

  it.each([
    {
      name: 'keys become ready in order of their time',
      adds: [['c', 300], ['a', 100], ['b', 200]] as const,
      want: [[100, ['a']], [200, ['b']], [300, ['c']]],
    },
    {
      name: 'keys ready at the same time are first-in first-out',
      adds: [['b', 100], ['a', 100], ['c', 50]] as const,
      want: [[50, ['c']], [100, ['b', 'a']]],
    },
    {
      name: 'an earlier time replaces a later one',
      adds: [['a', 1000], ['a', 100]] as const,
      want: [[100, ['a']]],
    },
    {
      name: 'a later time does not replace an earlier one',
      adds: [['a', 100], ['a', 1000]] as const,
      want: [[100, ['a']]],
    },
    {
      name: 'zero and negative delays add now',
      adds: [['a', 0], ['b', -5], ['c', 10]] as const,
      want: [[0, ['a', 'b']], [10, ['c']]],
    },
    {
      name: 'a delayed key handed to a worker before its time is not queued again by that delay',
      adds: [['a', 0], ['b', 0], ['a', 10]] as const,
      want: [[0, ['a', 'b']]],
    },
  ])('$name', async ({ adds, want }) => {
    const queue = new WorkQueue({ name: 'test' });
    for (const [key, delayMs] of adds) queue.addAfter(key, delayMs);
    expect(await readyTimeline(queue, 2000, 10)).toEqual(want);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not queue a delayed key that is waiting in the queue a second time', async () => {
    const queue = new WorkQueue({ name: 'test' });
    queue.add('a');
    queue.addAfter('a', 100);
    vi.advanceTimersByTime(100);
    expect(queue.len()).toBe(1);
    expect(await drainReady(queue)).toEqual(['a']);
  });

  it('drops the pending delay of a key a worker takes; a delay added while it is processed stands', async () => {
    const queue = new WorkQueue({ name: 'test' });
    queue.addAfter('a', 30_000);
    queue.add('a');
    expect(await drainReady(queue)).toEqual(['a']);
    queue.addAfter('a', 60_000);
    queue.done('a');
    vi.advanceTimersByTime(30_000);
    expect(queue.len()).toBe(0);
    vi.advanceTimersByTime(30_000);
    expect(await drainReady(queue)).toEqual(['a']);
  });

  it('arms one timer for all delayed keys', () => {
    const queue = new WorkQueue({ name: 'test' });
    for (let i = 0; i < 50; i++) queue.addAfter(`ns/k${i}`, 1000 + i * 10);
    queue.addAfter('ns/first', 5);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(5);
    expect(queue.len()).toBe(1);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(2000);
    expect(queue.len()).toBe(51);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('handles delays longer than setTimeout accepts', () => {
    const queue = new WorkQueue({ name: 'test' });
    const thirtyDaysMs = 30 * 24 * 3600 * 1000;
    queue.addAfter('a', thirtyDaysMs);
    vi.advanceTimersByTime(thirtyDaysMs - 1);
    expect(queue.len()).toBe(0);
    vi.advanceTimersByTime(1);
    expect(queue.len()).toBe(1);
  });

  it('backs off 750ms, 1.5s, 3s, ... up to 15m per key, and forget resets it', async () => {
    const queue = new WorkQueue({ name: 'test' });
    const want = [750, 1500, 3000, 6000, 12_000, 24_000, 48_000, 96_000, 192_000, 384_000, 768_000, 900_000, 900_000];
    const got: number[] = [];
    for (const delayMs of want) {
      queue.addRateLimited('ns/a');
      vi.advanceTimersByTime(delayMs - 1);
      const early = queue.len();
      vi.advanceTimersByTime(1);
      got.push(early === 0 && queue.len() === 1 ? delayMs : -1);
      expect(await queue.get()).toBe('ns/a');
      queue.done('ns/a');
    }
    expect(got).toEqual(want);
    expect(queue.numRequeues('ns/a')).toBe(want.length);
    expect(queue.numRequeues('ns/b')).toBe(0);

    queue.forget('ns/a');
    expect(queue.numRequeues('ns/a')).toBe(0);
    queue.addRateLimited('ns/a');
    vi.advanceTimersByTime(749);
    expect(queue.len()).toBe(0);
    vi.advanceTimersByTime(1);
    expect(queue.len()).toBe(1);
  });

  it('uses the configured base and maximum delay', async () => {
    const queue = new WorkQueue({ name: 'test', baseDelayMs: 10, maxDelayMs: 25 });
    const readyAfter: number[] = [];
    for (let i = 0; i < 4; i++) {
      queue.addRateLimited('a');
      let waited = 0;
      while (queue.len() === 0 && waited < 1000) {
        vi.advanceTimersByTime(1);
        waited++;
      }
      readyAfter.push(waited);
      expect(await queue.get()).toBe('a');
      queue.done('a');
    }
    expect(readyAfter).toEqual([10, 20, 25, 25]);
  });
});

describe('WorkQueue shut down', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves waiting getters with undefined, drops ready and delayed keys and clears timers', async () => {
    const queue = new WorkQueue({ name: 'test', metrics: createMetrics().workqueue });
    const waiting = [queue.get(), queue.get()];
    queue.addAfter('delayed', 100);
    queue.addRateLimited('limited');
    expect(vi.getTimerCount()).toBe(1);
    queue.shutDown();
    expect(await Promise.all(waiting)).toEqual([undefined, undefined]);
    expect(queue.isShuttingDown()).toBe(true);
    expect(vi.getTimerCount()).toBe(0);

    vi.advanceTimersByTime(60_000);
    queue.add('after');
    queue.addAfter('after', 10);
    queue.addRateLimited('after');
    expect(queue.len()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(await queue.get()).toBeUndefined();
  });

  it('stops handing out keys that were ready before the shut down', async () => {
    const queue = new WorkQueue({ name: 'test' });
    queue.add('a');
    queue.add('b');
    queue.shutDown();
    expect(queue.len()).toBe(0);
    expect(await queue.get()).toBeUndefined();
  });

  it('does not queue a dirty key again when it is done after the shut down', async () => {
    const queue = new WorkQueue({ name: 'test' });
    queue.add('a');
    await queue.get();
    queue.add('a');
    queue.shutDown();
    queue.done('a');
    expect(queue.len()).toBe(0);
    expect(await queue.get()).toBeUndefined();
  });

  it('shutDownWithDrain waits until every key being processed is done', async () => {
    const queue = new WorkQueue({ name: 'test' });
    queue.add('a');
    queue.add('b');
    queue.add('c');
    expect([await queue.get(), await queue.get()]).toEqual(['a', 'b']);
    let drained = false;
    const drain = queue.shutDownWithDrain().then(() => {
      drained = true;
    });
    await flushMicrotasks();
    expect(drained).toBe(false);
    expect(await queue.get()).toBeUndefined();
    queue.done('a');
    await flushMicrotasks();
    expect(drained).toBe(false);
    queue.done('b');
    await drain;
    expect(drained).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('shutDownWithDrain resolves at once when nothing is being processed, and again when called twice', async () => {
    const queue = new WorkQueue({ name: 'test' });
    queue.add('a');
    await queue.shutDownWithDrain();
    await queue.shutDownWithDrain();
    queue.shutDown();
    expect(await queue.get()).toBeUndefined();
  });
});

describe('WorkQueue metrics', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Every workqueue series of one queue, by metric name. */
  async function snapshot(metrics: Metrics['workqueue'], name: string): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const metric of Object.values(metrics)) {
      const { name: family, values } = await metric.get();
      for (const v of values) {
        // Histogram buckets carry an `le` label too; their sum and count are enough here.
        const labels: Record<string, string | number | undefined> = v.labels;
        if (labels['name'] !== name || labels['le'] !== undefined) continue;
        out[(v as { metricName?: string }).metricName ?? family] = v.value;
      }
    }
    return out;
  }

  const zero = {
    workqueue_depth: 0,
    workqueue_adds_total: 0,
    workqueue_retries_total: 0,
    workqueue_queue_duration_seconds_sum: 0,
    workqueue_queue_duration_seconds_count: 0,
    workqueue_work_duration_seconds_sum: 0,
    workqueue_work_duration_seconds_count: 0,
    workqueue_unfinished_work_seconds: 0,
    workqueue_longest_running_processor_seconds: 0,
  };

  it('reports depth, adds, retries, queue and work durations and unfinished work', async () => {
    const metrics = createMetrics();
    const queue = new WorkQueue({ name: 'kustomization', metrics: metrics.workqueue });
    const other = new WorkQueue({ name: 'gitrepository', metrics: metrics.workqueue });
    expect(await snapshot(metrics.workqueue, 'kustomization')).toEqual(zero);

    const steps: { name: string; run: () => Promise<void>; want: Partial<typeof zero> }[] = [
      {
        name: 'two adds, one duplicate',
        run: async () => {
          queue.add('ns/a');
          queue.add('ns/b');
          queue.add('ns/a');
          vi.advanceTimersByTime(2000);
        },
        want: { workqueue_depth: 2, workqueue_adds_total: 2 },
      },
      {
        name: 'get a after 2s, work 3s',
        run: async () => {
          await queue.get();
          vi.advanceTimersByTime(3000);
        },
        want: {
          workqueue_depth: 1,
          workqueue_adds_total: 2,
          workqueue_queue_duration_seconds_sum: 2,
          workqueue_queue_duration_seconds_count: 1,
          workqueue_unfinished_work_seconds: 3,
          workqueue_longest_running_processor_seconds: 3,
        },
      },
      {
        name: 'get b after 5s, work 1s more',
        run: async () => {
          await queue.get();
          vi.advanceTimersByTime(1000);
        },
        want: {
          workqueue_depth: 0,
          workqueue_adds_total: 2,
          workqueue_queue_duration_seconds_sum: 7,
          workqueue_queue_duration_seconds_count: 2,
          workqueue_unfinished_work_seconds: 5,
          workqueue_longest_running_processor_seconds: 4,
        },
      },
      {
        name: 'a done after 4s, then rate-limited',
        run: async () => {
          queue.done('ns/a');
          queue.addRateLimited('ns/a');
        },
        want: {
          workqueue_depth: 0,
          workqueue_adds_total: 2,
          workqueue_retries_total: 1,
          workqueue_queue_duration_seconds_sum: 7,
          workqueue_queue_duration_seconds_count: 2,
          workqueue_work_duration_seconds_sum: 4,
          workqueue_work_duration_seconds_count: 1,
          workqueue_unfinished_work_seconds: 1,
          workqueue_longest_running_processor_seconds: 1,
        },
      },
      {
        name: 'backoff elapses, b done after 1.75s',
        run: async () => {
          vi.advanceTimersByTime(750);
          queue.done('ns/b');
        },
        want: {
          workqueue_depth: 1,
          workqueue_adds_total: 3,
          workqueue_retries_total: 1,
          workqueue_queue_duration_seconds_sum: 7,
          workqueue_queue_duration_seconds_count: 2,
          workqueue_work_duration_seconds_sum: 5.75,
          workqueue_work_duration_seconds_count: 2,
          workqueue_unfinished_work_seconds: 0,
          workqueue_longest_running_processor_seconds: 0,
        },
      },
    ];
    for (const step of steps) {
      await step.run();
      expect(await snapshot(metrics.workqueue, 'kustomization'), step.name).toEqual({ ...zero, ...step.want });
    }
    // The other queue's series are its own.
    expect(await snapshot(metrics.workqueue, other.name)).toEqual(zero);
    expect(await metrics.registry.getSingleMetricAsString('workqueue_adds_total')).toContain('workqueue_adds_total{name="kustomization"} 3');
  });

  it('keeps the in-progress gauges current while a key is stuck', async () => {
    const metrics = createMetrics();
    const queue = new WorkQueue({ name: 'helmrelease', metrics: metrics.workqueue });
    queue.add('ns/stuck');
    await queue.get();
    vi.advanceTimersByTime(60_000);
    const got = await snapshot(metrics.workqueue, 'helmrelease');
    expect([got['workqueue_unfinished_work_seconds'], got['workqueue_longest_running_processor_seconds']]).toEqual([60, 60]);
    queue.done('ns/stuck');
    expect(vi.getTimerCount()).toBe(0);
  });
});
