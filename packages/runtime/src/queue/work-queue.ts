/**
 * The work queue between a controller's event handlers and its workers, with the semantics of
 * client-go's rate-limited delaying queue that controllers rely on:
 *
 * - keys are de-duplicated: a key waiting in the queue is queued once, however often it is added;
 * - single flight per key: a key added while a worker processes it is marked dirty and queued
 *   again only when that worker calls `done`, so two workers never hold the same key;
 * - `addAfter` delays a key (the earliest pending time wins), `addRateLimited` delays it by its
 *   exponential backoff, `forget` resets that backoff after a success; handing a key to a worker
 *   drops its pending delay (unlike client-go's queue), since every reconcile's outcome schedules
 *   the next one;
 * - `shutDown` stops handing out keys; `shutDownWithDrain` also waits for the keys in progress.
 *
 * It reports the `workqueue_*{name}` metrics controller-runtime exports.
 */
import type { Metrics } from '../metrics/metrics.ts';
import { ExponentialFailureRateLimiter } from './rate-limiter.ts';

/** Options of {@link WorkQueue}. */
export interface WorkQueueOptions {
  /** The queue's name, the `name` label of its metrics (controller-runtime uses the controller name). */
  name: string;
  /** The delay of a key's first rate-limited retry; Flux's `--min-retry-delay`, 750 ms by default. */
  baseDelayMs?: number;
  /** The cap on a key's rate-limited delay; Flux's `--max-retry-delay`, 15 minutes by default. */
  maxDelayMs?: number;
  /** Where to report the queue's metrics; none when omitted. */
  metrics?: Metrics['workqueue'];
}

/** A key waiting for its time in the delay heap. */
interface DelayedKey {
  key: string;
  /** Epoch milliseconds at which the key becomes ready. */
  readyAt: number;
  /** Insertion order, so keys ready at the same time are queued first-in first-out. */
  seq: number;
}

/** The longest delay `setTimeout` accepts; longer delays re-arm the timer when it fires. */
const maxTimerDelayMs = 2 ** 31 - 1;

/** How often the in-progress gauges are refreshed while keys are being processed (client-go's period). */
const unfinishedWorkPeriodMs = 500;

/**
 * A de-duplicating, rate-limited, delaying work queue of object keys (`namespace/name`).
 *
 * A worker loops `const key = await queue.get()` until it is `undefined`, reconciles the key, and
 * always calls `queue.done(key)` afterwards.
 */
export class WorkQueue {
  /** The queue's name, the `name` label of its metrics. */
  readonly name: string;

  /** Keys ready to be handed out, in the order they became ready (a Set is an ordered, unique FIFO). */
  readonly #ready = new Set<string>();
  /** Keys that need processing: those in #ready, plus processing keys added again. */
  readonly #dirty = new Set<string>();
  /** Keys handed to a worker and not yet `done`, with the time they were handed out. */
  readonly #processing = new Map<string, number>();
  /** Getters waiting for a key, oldest first. */
  readonly #waiters: ((key: string | undefined) => void)[] = [];

  /** The time each delayed key becomes ready; heap entries that disagree with it are stale. */
  readonly #delayed = new Map<string, number>();
  readonly #heap = new DelayHeap();
  #seq = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;

  readonly #rateLimiter: ExponentialFailureRateLimiter;

  #shuttingDown = false;
  readonly #drainWaiters: (() => void)[] = [];

  readonly #metrics: QueueMetrics | undefined;
  /** When each key needing processing was added, for the queue duration metric. */
  readonly #addedAt = new Map<string, number>();
  #unfinishedWorkTimer: NodeJS.Timeout | undefined;

  constructor(options: WorkQueueOptions) {
    this.name = options.name;
    this.#rateLimiter = new ExponentialFailureRateLimiter({ baseDelayMs: options.baseDelayMs, maxDelayMs: options.maxDelayMs });
    this.#metrics = options.metrics === undefined ? undefined : queueMetrics(options.metrics, options.name);
  }

  /** Queues `key` now, unless it is already queued; a key being processed is queued again once it is done. */
  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    this.#addedAt.set(key, Date.now());
    this.#metrics?.adds.inc();
    if (this.#processing.has(key)) return;
    this.#ready.add(key);
    this.#dispatch();
  }

  /**
   * Queues `key` after `delayMs` (a requeue-after). When the key is already waiting for a later
   * time it now becomes ready at the earlier one; `delayMs <= 0` queues it now.
   */
  addAfter(key: string, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (!(delayMs > 0)) {
      this.add(key);
      return;
    }
    const readyAt = Date.now() + delayMs;
    const waiting = this.#delayed.get(key);
    if (waiting !== undefined && waiting <= readyAt) return;
    this.#delayed.set(key, readyAt);
    this.#heap.push({ key, readyAt, seq: this.#seq++ });
    if (readyAt < this.#timerAt) this.#armTimer();
  }

  /** Queues `key` after its exponential backoff, counting one more failure of it (a retry). */
  addRateLimited(key: string): void {
    if (this.#shuttingDown) return;
    this.#metrics?.retries.inc();
    this.addAfter(key, this.#rateLimiter.when(key));
  }

  /** Resets the backoff of `key`, typically after it was reconciled successfully. */
  forget(key: string): void {
    this.#rateLimiter.forget(key);
  }

  /** How many times `key` was rate-limited since it was last forgotten. */
  numRequeues(key: string): number {
    return this.#rateLimiter.numRequeues(key);
  }

  /**
   * The next ready key, first-in first-out, marked as being processed until {@link done}; waits
   * while no key is ready. Resolves `undefined` once the queue is shut down.
   */
  get(): Promise<string | undefined> {
    if (this.#shuttingDown) return Promise.resolve(undefined);
    const key = this.#take();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /**
   * Marks `key` as processed. If it was added while being processed it is queued again now.
   * Calling it for a key that is not being processed does nothing.
   */
  done(key: string): void {
    const startedAt = this.#processing.get(key);
    if (startedAt === undefined) return;
    this.#processing.delete(key);
    this.#metrics?.workDuration.observe((Date.now() - startedAt) / 1000);
    this.#updateUnfinishedWork();
    if (this.#processing.size === 0) this.#stopUnfinishedWorkTimer();
    if (this.#dirty.has(key)) {
      if (this.#shuttingDown) {
        // Nobody will get it again.
        this.#dirty.delete(key);
        this.#addedAt.delete(key);
      } else {
        this.#ready.add(key);
        this.#dispatch();
      }
    }
    if (this.#processing.size === 0) this.#resolveDrainWaiters();
  }

  /** The number of keys ready to be handed out (not counting delayed or in-progress keys). */
  len(): number {
    return this.#ready.size;
  }

  /** Whether {@link shutDown} was called. */
  isShuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /**
   * Stops handing out keys: waiting and later `get()`s resolve `undefined`, ready and delayed keys
   * are dropped, later adds are ignored, and every timer is cleared so the process can exit.
   * Keys being processed may still be marked `done`.
   */
  shutDown(): void {
    if (!this.#shuttingDown) {
      this.#shuttingDown = true;
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.#heap.clear();
      this.#delayed.clear();
      for (const key of this.#ready) {
        this.#dirty.delete(key);
        this.#addedAt.delete(key);
      }
      this.#ready.clear();
      this.#metrics?.depth.set(0);
      this.#stopUnfinishedWorkTimer();
      for (const resolve of this.#waiters.splice(0)) resolve(undefined);
    }
    if (this.#processing.size === 0) this.#resolveDrainWaiters();
  }

  /** Shuts the queue down (see {@link shutDown}) and resolves once every key being processed is done. */
  shutDownWithDrain(): Promise<void> {
    const drained = new Promise<void>((resolve) => this.#drainWaiters.push(resolve));
    this.shutDown();
    return drained;
  }

  /** Hands ready keys to waiting getters. */
  #dispatch(): void {
    while (this.#waiters.length > 0) {
      const key = this.#take();
      if (key === undefined) break;
      this.#waiters.shift()?.(key);
    }
    this.#metrics?.depth.set(this.#ready.size);
  }

  /** Removes the first ready key and marks it as being processed, or returns undefined. */
  #take(): string | undefined {
    const next = this.#ready.values().next();
    if (next.done === true) return undefined;
    const key = next.value;
    const now = Date.now();
    this.#ready.delete(key);
    this.#dirty.delete(key);
    // A reconcile supersedes the key's pending requeue-after: its own outcome schedules the next
    // one. Kept, an older requeue (say, a dependency's 30 s) reconciled the object again right
    // after a watch event had already done it, applying everything a second time.
    this.#delayed.delete(key);
    this.#processing.set(key, now);
    const addedAt = this.#addedAt.get(key);
    this.#addedAt.delete(key);
    if (this.#metrics !== undefined) {
      if (addedAt !== undefined) this.#metrics.queueDuration.observe((now - addedAt) / 1000);
      this.#metrics.depth.set(this.#ready.size);
      this.#updateUnfinishedWork();
      this.#startUnfinishedWorkTimer();
    }
    return key;
  }

  /** Arms the one timer for the earliest delayed key (or clears it when none is left). */
  #armTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const first = this.#heap.peek();
    if (first === undefined) return;
    this.#timerAt = first.readyAt;
    const delayMs = Math.min(Math.max(first.readyAt - Date.now(), 0), maxTimerDelayMs);
    this.#timer = setTimeout(() => this.#addReadyDelayed(), delayMs);
    // A pending requeue must not keep the process alive.
    this.#timer.unref();
  }

  /** Queues every delayed key whose time has come, then re-arms the timer for the next one. */
  #addReadyDelayed(): void {
    const now = Date.now();
    for (let first = this.#heap.peek(); first !== undefined && first.readyAt <= now; first = this.#heap.peek()) {
      this.#heap.pop();
      // Skip entries superseded by an earlier time for the same key.
      if (this.#delayed.get(first.key) !== first.readyAt) continue;
      this.#delayed.delete(first.key);
      this.add(first.key);
    }
    this.#armTimer();
  }

  /** Sets the in-progress gauges from the keys being processed now (client-go's updateUnfinishedWork). */
  #updateUnfinishedWork(): void {
    if (this.#metrics === undefined) return;
    const now = Date.now();
    let total = 0;
    let longest = 0;
    for (const startedAt of this.#processing.values()) {
      const seconds = (now - startedAt) / 1000;
      total += seconds;
      longest = Math.max(longest, seconds);
    }
    this.#metrics.unfinishedWork.set(total);
    this.#metrics.longestRunningProcessor.set(longest);
  }

  /** Keeps the in-progress gauges current while a key is processed, so a stuck reconcile shows up. */
  #startUnfinishedWorkTimer(): void {
    if (this.#unfinishedWorkTimer !== undefined || this.#shuttingDown) return;
    this.#unfinishedWorkTimer = setInterval(() => this.#updateUnfinishedWork(), unfinishedWorkPeriodMs);
    this.#unfinishedWorkTimer.unref();
  }

  #stopUnfinishedWorkTimer(): void {
    clearInterval(this.#unfinishedWorkTimer);
    this.#unfinishedWorkTimer = undefined;
  }

  #resolveDrainWaiters(): void {
    for (const resolve of this.#drainWaiters.splice(0)) resolve();
  }
}

/** The queue's metric children, bound to its `name` label. */
interface QueueMetrics {
  depth: { set(value: number): void };
  adds: { inc(): void };
  retries: { inc(): void };
  queueDuration: { observe(seconds: number): void };
  workDuration: { observe(seconds: number): void };
  unfinishedWork: { set(value: number): void };
  longestRunningProcessor: { set(value: number): void };
}

/** Binds the work queue metrics to one queue's name, creating every series at zero so it is exported before the first add. */
function queueMetrics(metrics: Metrics['workqueue'], name: string): QueueMetrics {
  const bound: QueueMetrics = {
    depth: metrics.depth.labels({ name }),
    adds: metrics.adds.labels({ name }),
    retries: metrics.retries.labels({ name }),
    queueDuration: metrics.queueDuration.labels({ name }),
    workDuration: metrics.workDuration.labels({ name }),
    unfinishedWork: metrics.unfinishedWork.labels({ name }),
    longestRunningProcessor: metrics.longestRunningProcessor.labels({ name }),
  };
  metrics.adds.inc({ name }, 0);
  metrics.retries.inc({ name }, 0);
  metrics.queueDuration.zero({ name });
  metrics.workDuration.zero({ name });
  bound.depth.set(0);
  bound.unfinishedWork.set(0);
  bound.longestRunningProcessor.set(0);
  return bound;
}

/** A binary min-heap of delayed keys ordered by ready time, then insertion order. */
class DelayHeap {
  readonly #items: DelayedKey[] = [];

  peek(): DelayedKey | undefined {
    return this.#items[0];
  }

  push(item: DelayedKey): void {
    const items = this.#items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): DelayedKey | undefined {
    const items = this.#items;
    const first = items[0];
    const last = items.pop();
    if (first === undefined || last === undefined || items.length === 0) return first;
    items[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < items.length && before(items[left]!, items[smallest]!)) smallest = left;
      if (right < items.length && before(items[right]!, items[smallest]!)) smallest = right;
      if (smallest === i) break;
      [items[i], items[smallest]] = [items[smallest]!, items[i]!];
      i = smallest;
    }
    return first;
  }

  clear(): void {
    this.#items.length = 0;
  }
}

function before(a: DelayedKey, b: DelayedKey): boolean {
  return a.readyAt !== b.readyAt ? a.readyAt < b.readyAt : a.seq < b.seq;
}
