/**
 * A controller: one kind, one work queue, N workers, one reconciler. It turns informer events
 * into keys, runs level-based key-only reconciles (never two on one key), and is the ONE place
 * where a reconcile's outcome becomes conditions, events, logs, metrics and a requeue:
 *
 * | outcome                 | conditions                                        | requeue                  |
 * |-------------------------|---------------------------------------------------|--------------------------|
 * | returned                | as the reconciler set them                        | `requeueAfterMs`, if any |
 * | StallingError           | Stalled=True, Ready=False (reason), no Reconciling | none                     |
 * | WaitingError            | Ready=False (reason)                              | `requeueAfterMs`         |
 * | ReconcileError / other  | Ready=False (reason), Reconciling=True (ProgressingWithRetry) | exponential backoff |
 *
 * After every reconcile the status is finalized (observedGeneration on success or stall,
 * lastHandledReconcileAt from the requestedAt annotation) and written when it changed.
 */
import { randomUUID } from 'node:crypto';
import { Annotation, ConditionType, Finalizer, Reason, formatDuration, parseDuration } from '@eddy/api';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Informer } from '../cache/informer.ts';
import { ReconcileError, ReconcileFailure, StallingError, WaitingError } from '../errors/errors.ts';
import type { EventRecorder } from '../events/recorder.ts';
import type { Logger } from '../logging/logger.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { WorkQueue } from '../queue/work-queue.ts';
import { deleteCondition, getCondition, markFalse, markReconciling, markStalled } from '../status/conditions.ts';
import { addFinalizer, finalizeStatus, removeFinalizer, type StatusPatcher } from '../status/status-patcher.ts';
import type { KindRef, ReconcileContext, ReconcileRequest, ReconcileResult, ReconciledObject, Reconciler } from './types.ts';

/** What a controller needs from its manager. */
/** How often, at most, a reconcile's progress is written to the cluster (see Controller.context). */
export const progressWriteIntervalMs = 1_000;

export interface ControllerOptions<T extends ReconciledObject> {
  /** The controller process' name, e.g. `source-controller` (field managers, events). */
  controllerName: string;
  kind: KindRef;
  informer: Informer<T>;
  reconciler: Reconciler<T>;
  concurrency: number;
  kubeConfig: KubeConfig;
  logger: Logger;
  metrics: Metrics;
  statusPatcher: StatusPatcher;
  recorder: EventRecorder;
  retry: { baseDelayMs: number; maxDelayMs: number };
  /** `--interval-jitter-percentage`. */
  intervalJitterPercent: number;
}

const keyOf = (namespace: string | undefined, name: string | undefined): string => `${namespace ?? ''}/${name ?? ''}`;

function splitKey(key: string): ReconcileRequest {
  const i = key.indexOf('/');
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** Whether an update of the object itself needs a reconcile (Flux's generation and reconcile-request predicates). */
function updateNeedsReconcile(old: ReconciledObject, obj: ReconciledObject): boolean {
  const a = old.metadata;
  const b = obj.metadata;
  return (
    a.generation !== b.generation ||
    a.annotations?.[Annotation.ReconcileRequestedAt] !== b.annotations?.[Annotation.ReconcileRequestedAt] ||
    (!a.deletionTimestamp && !!b.deletionTimestamp)
  );
}

/** Reconciles one kind; see the module comment. */
export class Controller<T extends ReconciledObject> {
  readonly queue: WorkQueue;
  private readonly opts: ControllerOptions<T>;
  private readonly controllerKind: string;
  private readonly abort = new AbortController();
  private workers: Promise<void>[] = [];
  /** Keys being reconciled right now, to prove (and assert in tests) no key runs twice at once. */
  private readonly inFlight = new Set<string>();

  constructor(opts: ControllerOptions<T>) {
    this.opts = opts;
    this.controllerKind = opts.kind.kind;
    this.queue = new WorkQueue({
      name: opts.kind.kind.toLowerCase(),
      baseDelayMs: opts.retry.baseDelayMs,
      maxDelayMs: opts.retry.maxDelayMs,
      metrics: opts.metrics.workqueue,
    });
    opts.informer.on('add', (obj) => this.queue.add(keyOf(obj.metadata.namespace, obj.metadata.name)));
    opts.informer.on('update', (old, obj) => {
      if (updateNeedsReconcile(old, obj)) this.queue.add(keyOf(obj.metadata.namespace, obj.metadata.name));
    });
    opts.informer.on('delete', (obj) => this.forgetMetrics(obj));
  }

  /**
   * Also reconciles our objects when objects of another informer change (`map` says which).
   * `updated`, when given, filters update events (say, only a new artifact revision matters),
   * so a status-only change of the other object does not rerun every reconciler that maps to it.
   */
  watch<U extends ReconciledObject>(informer: Informer<U>, map: (obj: U) => ReconcileRequest[], opts: { updated?: (oldObj: U, newObj: U) => boolean } = {}): void {
    const enqueue = (obj: U): void => {
      for (const r of map(obj)) this.queue.add(keyOf(r.namespace, r.name));
    };
    informer.on('add', enqueue);
    informer.on('update', (old, obj) => {
      if (!opts.updated || opts.updated(old, obj)) enqueue(obj);
    });
    informer.on('delete', enqueue);
  }

  /** Starts the workers. Call after the informer has synced. */
  start(): void {
    this.opts.metrics.maxConcurrentReconciles.set({ controller: this.controllerKind }, this.opts.concurrency);
    // Objects listed before the workers started were queued by the informer's add events.
    this.workers = Array.from({ length: this.opts.concurrency }, () => this.work());
  }

  /**
   * Stops taking work and waits up to `deadlineMs` for in-flight reconciles to finish; after
   * that, their signal is aborted.
   */
  async stop(deadlineMs: number): Promise<void> {
    const drained = this.queue.shutDownWithDrain();
    const timer = setTimeout(() => this.abort.abort(new Error('controller shutdown deadline passed')), deadlineMs);
    timer.unref();
    try {
      await drained;
      await Promise.all(this.workers);
    } finally {
      clearTimeout(timer);
    }
  }

  /** How many reconciles are running now. */
  get running(): number {
    return this.inFlight.size;
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      if (this.inFlight.has(key)) throw new Error(`runtime invariant broken: ${key} handed to two workers`);
      this.inFlight.add(key);
      this.opts.metrics.activeWorkers.inc({ controller: this.controllerKind });
      try {
        await this.reconcileKey(key);
      } catch (err) {
        // reconcileKey handles reconcile failures itself; this is a bug or a status write failure.
        this.opts.logger.error('reconcile failed unexpectedly', { controllerKind: this.controllerKind, key, error: err });
        this.queue.addRateLimited(key);
      } finally {
        this.inFlight.delete(key);
        this.opts.metrics.activeWorkers.dec({ controller: this.controllerKind });
        this.queue.done(key);
      }
    }
  }

  private async reconcileKey(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const cached = this.opts.informer.get(namespace, name);
    if (!cached) {
      this.queue.forget(key);
      return;
    }
    const obj = structuredClone(cached);
    const statusBefore = JSON.stringify(obj.status ?? {});
    const reconcileID = randomUUID();
    const log = this.opts.logger.child({ controllerKind: this.controllerKind, name, namespace, reconcileID });
    const { ctx, settleProgress } = this.context(obj, log, reconcileID);
    const started = performance.now();
    let result: ReconcileResult = {};
    let failure: ReconcileFailure | undefined;
    try {
      result = await this.opts.reconciler.reconcile(obj, ctx);
    } catch (err) {
      failure = err instanceof ReconcileFailure ? err : new ReconcileError(Reason.Failed, err instanceof Error ? err.message : String(err), { cause: err });
    }
    const seconds = (performance.now() - started) / 1000;
    // No progress write may land after the final status below.
    await settleProgress();

    if (failure) this.recordFailure(obj, failure, log, ctx);
    const deleted = obj.metadata.deletionTimestamp !== undefined && !(obj.metadata.finalizers ?? []).includes(Finalizer);
    if (!deleted) {
      finalizeStatus(obj);
      if (JSON.stringify(obj.status ?? {}) !== statusBefore) await this.opts.statusPatcher.patch(obj);
    }

    const labels = { kind: this.controllerKind, name, namespace };
    this.opts.metrics.reconcileDuration.observe(labels, seconds);
    this.opts.metrics.reconcileTime.observe({ controller: this.controllerKind }, seconds);
    this.opts.metrics.suspendStatus.set(labels, obj.spec?.suspend ? 1 : 0);
    this.recordConditionMetric(obj);

    if (!failure) {
      const next = result.requeueAfterMs !== undefined ? `, next run in ${formatDuration({ milliseconds: Math.round(result.requeueAfterMs / 1000) * 1000 })}` : '';
      log.info(`reconciliation finished in ${formatDuration({ milliseconds: Math.round(seconds * 1000) })}${next}`);
      this.queue.forget(key);
      this.opts.metrics.reconcileTotal.inc({ controller: this.controllerKind, result: result.requeueAfterMs ? 'requeue_after' : 'success' });
      if (result.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
      return;
    }
    this.opts.metrics.reconcileErrors.inc({ controller: this.controllerKind });
    if (failure instanceof StallingError) {
      this.queue.forget(key);
      this.opts.metrics.reconcileTotal.inc({ controller: this.controllerKind, result: 'error' });
    } else if (failure instanceof WaitingError) {
      this.queue.forget(key);
      this.opts.metrics.reconcileTotal.inc({ controller: this.controllerKind, result: 'requeue_after' });
      this.queue.addAfter(key, failure.requeueAfterMs);
    } else {
      this.opts.metrics.reconcileTotal.inc({ controller: this.controllerKind, result: 'error' });
      this.queue.addRateLimited(key);
    }
  }

  /** Conditions, event and log line of a failed reconcile. */
  private recordFailure(obj: T, failure: ReconcileFailure, log: Logger, ctx: ReconcileContext): void {
    if (failure instanceof StallingError) {
      markStalled(obj, failure.reason, failure.message);
      log.error('reconciliation stalled', { error: failure.message, reason: failure.reason });
    } else if (failure instanceof WaitingError) {
      markFalse(obj, ConditionType.Ready, failure.reason, failure.message);
      deleteCondition(obj, ConditionType.Reconciling);
      log.info(`waiting: ${failure.message}`, { reason: failure.reason, requeueAfter: `${failure.requeueAfterMs}ms` });
      return;
    } else {
      markFalse(obj, ConditionType.Ready, failure.reason, failure.message);
      markReconciling(obj, Reason.ProgressingWithRetry, failure.message);
      log.error('reconciliation failed', { error: failure.message, reason: failure.reason });
    }
    ctx.event('Warning', failure.reason, failure.message);
  }

  private recordConditionMetric(obj: T): void {
    const ready = getCondition(obj, ConditionType.Ready);
    const base = { kind: this.controllerKind, name: obj.metadata.name ?? '', namespace: obj.metadata.namespace ?? '', type: ConditionType.Ready };
    for (const status of ['True', 'False', 'Unknown', 'Deleted']) {
      this.opts.metrics.reconcileCondition.set({ ...base, status }, ready?.status === status ? 1 : 0);
    }
  }

  private forgetMetrics(obj: T): void {
    const labels = { kind: this.controllerKind, name: obj.metadata.name ?? '', namespace: obj.metadata.namespace ?? '' };
    this.opts.metrics.reconcileDuration.remove(labels);
    this.opts.metrics.suspendStatus.remove(labels);
    for (const status of ['True', 'False', 'Unknown', 'Deleted']) {
      this.opts.metrics.reconcileCondition.remove({ ...labels, type: ConditionType.Ready, status });
    }
  }

  /**
   * The context of one reconcile, and `settleProgress`, which the caller awaits once the
   * reconcile returned: it cancels a pending progress write and waits for one in flight.
   *
   * Progress is written to the cluster at most every {@link progressWriteIntervalMs}, the
   * first time that long after the start: a reconcile that finishes sooner writes its status
   * once, at the end, instead of once per step (at 1,000 objects and 50 requests/s, each write
   * saved is 20 s). A long step still shows on the object within that interval.
   */
  private context(obj: T, log: Logger, reconcileID: string): { ctx: ReconcileContext; settleProgress: () => Promise<void> } {
    const { controllerName, kubeConfig, statusPatcher, recorder, intervalJitterPercent } = this.opts;
    let lastWrite = performance.now();
    let timer: NodeJS.Timeout | undefined;
    let writing: Promise<void> = Promise.resolve();
    let settled = false;
    const flush = (): void => {
      timer = undefined;
      if (settled) return;
      lastWrite = performance.now();
      writing = writing
        .then(async () => {
          await statusPatcher.patch(obj);
        })
        .catch((err: unknown) => {
          // The final status write follows; a lost progress message is no failure.
          log.debug('progress write failed', { error: err });
        });
    };
    const settleProgress = async (): Promise<void> => {
      settled = true;
      clearTimeout(timer);
      await writing;
    };
    const ctx: ReconcileContext = {
      log,
      signal: this.abort.signal,
      reconcileID,
      kubeConfig,
      progress: async (message) => {
        log.debug(message);
        markReconciling(obj, Reason.Progressing, message);
        timer ??= setTimeout(flush, Math.max(0, lastWrite + progressWriteIntervalMs - performance.now()));
      },
      event: (type, reason, message, metadata) => recorder.record(obj, type, reason, message, metadata),
      ensureFinalizer: async () => {
        await addFinalizer(kubeConfig, obj, controllerName);
      },
      finalizeDeletion: async () => {
        await removeFinalizer(kubeConfig, obj, controllerName);
        log.info('finalized; the object can be deleted');
        return {};
      },
      suspended: () => {
        log.info('reconciliation is suspended for this object');
        return {};
      },
      requeueAtInterval: () => {
        const interval = obj.spec?.interval;
        if (!interval) return {};
        const ms = parseDuration(interval).milliseconds;
        const jitter = ms * (intervalJitterPercent / 100) * (Math.random() * 2 - 1);
        return { requeueAfterMs: Math.max(0, ms + jitter) };
      },
    };
    return { ctx, settleProgress };
  }
}
