/**
 * The informer: an in-memory copy of one kind's objects kept current by list + watch, and the
 * add/update/delete events that tell controllers what changed. Controllers read from it and
 * never poll the API server.
 *
 * Built on client-node's low-level `Watch` rather than its `makeInformer`, which stops on a
 * watch error and leaves recovery to the caller. This one never stops on its own:
 *
 * - it lists, then watches from the list's resourceVersion, remembering the last
 *   resourceVersion seen in events and BOOKMARKs (compared for equality only);
 * - a watch that ends (its server-side timeout, or client-node's cut-off after 30 s without
 *   data on a quiet kind) is restarted from there; one that closes within a second without
 *   delivering anything counts as a failure, so a flapping server cannot make it spin;
 * - `410 Gone` (the resourceVersion was compacted away) relists, and the difference between the
 *   store and the fresh list is delivered as events, so consumers see one consistent stream;
 * - any other failure (API server down, 5xx, network) is logged, reported to `onError`, turns
 *   `healthy` false, and is retried with a jittered exponential backoff.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiException, Watch, type KubeConfig } from '@kubernetes/client-node';
import { KubeApiError, ObjectClient, collectionPath } from '../client/object-client.ts';
import type { Logger } from '../logging/logger.ts';
import { Backoff, type BackoffOptions } from './backoff.ts';
import { Store, type IndexFunc, type KubernetesObject } from './store.ts';

/** Options of an {@link Informer}. */
export interface InformerOptions {
  kubeConfig: KubeConfig;
  /** e.g. `source.toolkit.fluxcd.io/v1`. */
  apiVersion: string;
  /** e.g. `GitRepository`. */
  kind: string;
  /** e.g. `gitrepositories`. */
  plural: string;
  /** Watch one namespace; all namespaces when undefined. */
  namespace?: string;
  /** Only objects matching this label selector (`--watch-label-selector` sharding). */
  labelSelector?: string;
  logger: Logger;
  /** Called with each list or watch failure (after it is logged). */
  onError?: (err: Error) => void;
  /** Called when {@link Informer.healthy} changes. */
  onHealthChange?: (healthy: boolean) => void;
  /** Delays between retries after failures (default 500 ms doubling to 30 s, jittered). */
  backoff?: BackoffOptions;
}

/** The handler of each informer event. */
export interface InformerHandlers<T> {
  add: (obj: T) => void;
  update: (oldObj: T, newObj: T) => void;
  delete: (obj: T) => void;
}

/** One of the events an informer delivers. */
export type InformerEvent = keyof InformerHandlers<unknown>;

/** How one watch request ended. */
type WatchOutcome =
  /** The server closed it, or client-node closed it when idle: watch again from the last resourceVersion. */
  | { kind: 'ended' }
  /** 410 Gone: the last resourceVersion is too old; relist. */
  | { kind: 'gone'; message: string }
  /** Stopped or paused by this informer. */
  | { kind: 'interrupted' }
  | { kind: 'failed'; error: Error };

/** A watch that ends this soon without delivering anything is a failure, not a server timeout. */
const shortWatchMs = 1000;

/**
 * The cache of one kind (in one namespace or all, optionally filtered by labels): a store with
 * indexes, kept current by list + watch, delivering add/update/delete events. Handlers run
 * after the store has changed. Objects are stored without `metadata.managedFields` and are
 * shared: treat them as read-only.
 */
export class Informer<T extends KubernetesObject> {
  readonly #opts: InformerOptions;
  readonly #log: Logger;
  readonly #path: string;
  readonly #client: ObjectClient;
  readonly #store = new Store<T>();
  readonly #backoff: Backoff;
  readonly #handlers = new Map<InformerEvent, Set<(...objs: T[]) => void>>();
  readonly #syncWaiters = new Set<{ resolve: () => void; reject: (err: Error) => void }>();
  #stop: AbortController | undefined;
  #watchAbort: AbortController | undefined;
  #pause: PromiseWithResolvers<void> | undefined;
  #resourceVersion = '';
  #synced = false;
  #healthy = false;

  constructor(opts: InformerOptions) {
    this.#opts = opts;
    this.#log = opts.logger.child({ informer: `${opts.kind}.${opts.apiVersion}` });
    this.#path = collectionPath(opts);
    // A page of a large list may take longer than a request for one object.
    this.#client = new ObjectClient(opts.kubeConfig, { requestTimeoutMs: 60_000 });
    this.#backoff = new Backoff(opts.backoff);
  }

  /** Whether the first full list is in the store. */
  get hasSynced(): boolean {
    return this.#synced;
  }

  /** False until the first list and while the list or watch is failing and being retried. */
  get healthy(): boolean {
    return this.#healthy;
  }

  /** The last resourceVersion seen (from the list, events or bookmarks); empty before the first list. */
  get resourceVersion(): string {
    return this.#resourceVersion;
  }

  /** Starts listing and watching in the background. An informer starts once. */
  start(): void {
    if (this.#stop) throw new Error('informer already started');
    const stop = new AbortController();
    this.#stop = stop;
    this.#log.info('starting informer', { namespace: this.#opts.namespace, labelSelector: this.#opts.labelSelector });
    this.#run(stop.signal).catch((err: unknown) => this.#log.error('informer loop failed', { error: err }));
  }

  /** Stops watching: aborts the request in flight and every timer. Pending {@link waitForSync} calls reject. */
  stop(): void {
    if (!this.#stop || this.#stop.signal.aborted) return;
    this.#stop.abort();
    this.#pause?.resolve();
    this.#pause = undefined;
    for (const waiter of this.#syncWaiters) waiter.reject(new Error(`informer for ${this.#opts.kind} stopped before it synced`));
    this.#syncWaiters.clear();
    this.#setHealthy(false);
    this.#log.info('stopped informer');
  }

  /** Resolves once the first full list is in the store (and its add events delivered); rejects when `signal` aborts or the informer stops first. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.#synced) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.#stop?.signal.aborted) return Promise.reject(new Error(`informer for ${this.#opts.kind} is stopped`));
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#syncWaiters.delete(waiter);
        reject(abortReason(signal));
      };
      const waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (err: Error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      this.#syncWaiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Registers an event handler; returns a function that unregisters it. A handler that throws is logged and does not disturb the others. */
  on<E extends InformerEvent>(event: E, handler: InformerHandlers<T>[E]): () => void {
    let handlers = this.#handlers.get(event);
    if (!handlers) this.#handlers.set(event, (handlers = new Set()));
    const fn = handler as (...objs: T[]) => void;
    handlers.add(fn);
    return () => {
      handlers.delete(fn);
    };
  }

  /** The object `namespace/name` (namespace undefined for cluster-scoped kinds), if held. */
  get(namespace: string | undefined, name: string): T | undefined {
    return this.#store.get(namespace, name);
  }

  /** Every object held, or those of one namespace. */
  list(namespace?: string): T[] {
    return this.#store.list(namespace);
  }

  /** Adds an index kept current on every change (see {@link Store.addIndex}). */
  addIndex(name: string, func: IndexFunc<T>): void {
    this.#store.addIndex(name, func);
  }

  /** The objects the index `name` holds under `value`. */
  byIndex(name: string, value: string): T[] {
    return this.#store.byIndex(name, value);
  }

  /**
   * Test seam (internal): ends the current watch and holds the informer before its next watch
   * until {@link resumeWatch}, keeping the last resourceVersion, so a test can change objects
   * and compact etcd meanwhile and make the informer resume from a compacted resourceVersion.
   * @internal
   */
  pauseWatch(): void {
    this.#pause ??= Promise.withResolvers<void>();
    this.#watchAbort?.abort();
  }

  /** Test seam (internal): lets a watch paused by {@link pauseWatch} continue. @internal */
  resumeWatch(): void {
    this.#pause?.resolve();
    this.#pause = undefined;
  }

  /** The list-and-watch loop; returns only when stopped. */
  async #run(signal: AbortSignal): Promise<void> {
    let listNeeded = true;
    while (!signal.aborted) {
      try {
        if (listNeeded) {
          await this.#relist(signal);
          listNeeded = false;
        }
        while (this.#pause && !signal.aborted) await untilAborted(this.#pause.promise, signal);
        if (signal.aborted) return;
        const outcome = await this.#watch(signal);
        if (outcome.kind === 'failed') throw outcome.error;
        // A watch that ran until the server (or idleness) ended it was a success.
        if (outcome.kind === 'ended') this.#backoff.reset();
        if (outcome.kind === 'gone') {
          this.#log.info('resourceVersion too old; relisting', { resourceVersion: this.#resourceVersion, reason: outcome.message });
          listNeeded = true;
        }
      } catch (err) {
        if (signal.aborted) return;
        const delayMs = this.#backoff.next();
        this.#reportError(err instanceof Error ? err : new Error(String(err)), delayMs);
        await sleep(delayMs, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  /** Lists everything, makes the store hold exactly that, and delivers the difference as events. */
  async #relist(signal: AbortSignal): Promise<void> {
    const started = Date.now();
    const { items, resourceVersion } = await this.#client.list<T>(this.#opts, { labelSelector: this.#opts.labelSelector }, signal).catch(
      (err: unknown) => {
        throw asError(err, `list ${this.#path}`);
      },
    );
    if (signal.aborted) return;
    const changes = this.#store.replace(items.map((o) => this.#prepare(o)));
    this.#resourceVersion = resourceVersion;
    this.#backoff.reset();
    this.#setHealthy(true);
    this.#log.debug('listed', {
      objects: items.length,
      resourceVersion,
      added: changes.added.length,
      updated: changes.updated.length,
      deleted: changes.deleted.length,
      durationMs: Date.now() - started,
    });
    for (const obj of changes.added) this.#emit('add', obj);
    for (const { old, new: obj } of changes.updated) this.#emit('update', old, obj);
    for (const obj of changes.deleted) this.#emit('delete', obj);
    if (!this.#synced) {
      this.#synced = true;
      for (const waiter of this.#syncWaiters) waiter.resolve();
      this.#syncWaiters.clear();
    }
  }

  /** One watch request from the last resourceVersion, applying its events until it ends. */
  #watch(stopSignal: AbortSignal): Promise<WatchOutcome> {
    const abort = new AbortController();
    this.#watchAbort = abort;
    const signal = AbortSignal.any([stopSignal, abort.signal]);
    const started = Date.now();
    let events = 0;
    return new Promise<WatchOutcome>((resolve) => {
      let settled = false;
      let request: AbortController | undefined;
      const finish = (outcome: WatchOutcome): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        request?.abort();
        if (this.#watchAbort === abort) this.#watchAbort = undefined;
        resolve(outcome);
      };
      const onAbort = (): void => finish({ kind: 'interrupted' });
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });

      const query = {
        allowWatchBookmarks: true,
        resourceVersion: this.#resourceVersion,
        labelSelector: this.#opts.labelSelector,
        // Bound each watch as client-go does (5 to 10 minutes), so connections are renewed.
        timeoutSeconds: 300 + Math.floor(Math.random() * 300),
      };
      const onEvent = (type: string, obj: unknown): void => {
        if (settled) return;
        events++;
        const outcome = this.#applyEvent(type, obj);
        if (outcome) finish(outcome);
      };
      const onDone = (err: unknown): void => {
        if (settled) return;
        if (err === null || err === undefined || (request && isTimeout(err))) {
          // client-node closes a connected watch after 30 s without data; a quiet kind is not a failure.
          const short = events === 0 && Date.now() - started < shortWatchMs;
          return finish(short ? { kind: 'failed', error: new Error(`watch ${this.#path}: closed after ${Date.now() - started} ms without events`) } : { kind: 'ended' });
        }
        if (statusCodeOf(err) === 410) return finish({ kind: 'gone', message: errorText(err) });
        finish({ kind: 'failed', error: asError(err, `watch ${this.#path}`) });
      };
      new Watch(this.#opts.kubeConfig).watch(this.#path, query, onEvent, onDone).then(
        (controller) => {
          // The request is connected (or already failed, in which case onDone has run).
          request = controller;
          if (settled) controller.abort();
          else this.#setHealthy(true);
        },
        (err: unknown) => finish({ kind: 'failed', error: asError(err, `watch ${this.#path}`) }),
      );
    });
  }

  /** Applies one watch event to the store and delivers it; returns an outcome when the event ends the watch. */
  #applyEvent(type: string, raw: unknown): WatchOutcome | undefined {
    if (type === 'ERROR') {
      const status = (raw ?? {}) as { code?: number; message?: string; reason?: string };
      const message = `${status.message ?? 'watch error'} (${status.code ?? 'no code'} ${status.reason ?? ''})`.trim();
      if (status.code === 410) return { kind: 'gone', message };
      return { kind: 'failed', error: new Error(`watch ${this.#path}: ${message}`) };
    }
    this.#backoff.reset();
    const obj = raw as T;
    const resourceVersion = obj.metadata?.resourceVersion;
    if (resourceVersion) this.#resourceVersion = resourceVersion;
    try {
      switch (type) {
        case 'ADDED':
        case 'MODIFIED': {
          const prepared = this.#prepare(obj);
          const old = this.#store.get(prepared.metadata?.namespace, prepared.metadata?.name ?? '');
          if (old && old.metadata?.resourceVersion === resourceVersion) return undefined;
          this.#store.upsert(prepared);
          if (old) this.#emit('update', old, prepared);
          else this.#emit('add', prepared);
          return undefined;
        }
        case 'DELETED': {
          const old = this.#store.remove(obj);
          if (old) this.#emit('delete', this.#prepare(obj));
          return undefined;
        }
        default:
          // BOOKMARK carries only the resourceVersion, taken above.
          return undefined;
      }
    } catch (err) {
      this.#log.error('could not apply watch event', { error: err, type });
      return undefined;
    }
  }

  /** What the store keeps of an object: everything but managedFields, with its kind set (list items of built-in kinds lack it). */
  #prepare(obj: T): T {
    // Objects come fresh from JSON.parse, so trimming in place shares nothing.
    if (obj.metadata) delete (obj.metadata as Record<string, unknown>)['managedFields'];
    obj.apiVersion ??= this.#opts.apiVersion;
    obj.kind ??= this.#opts.kind;
    return obj;
  }

  /** Calls the handlers of `event` with `objs` (the object; for update the old one, then the new one). */
  #emit(event: InformerEvent, ...objs: T[]): void {
    for (const handler of this.#handlers.get(event) ?? []) {
      try {
        handler(...objs);
      } catch (err) {
        this.#log.error('event handler failed', { error: err, event });
      }
    }
  }

  #reportError(err: Error, retryInMs: number): void {
    this.#log.error('list/watch failed; retrying', { error: err, retryInMs });
    this.#setHealthy(false);
    try {
      this.#opts.onError?.(err);
    } catch (hookErr) {
      this.#log.error('onError hook failed', { error: hookErr });
    }
  }

  #setHealthy(healthy: boolean): void {
    if (this.#healthy === healthy) return;
    this.#healthy = healthy;
    if (healthy) this.#log.info('list/watch healthy');
    try {
      this.#opts.onHealthChange?.(healthy);
    } catch (err) {
      this.#log.error('onHealthChange hook failed', { error: err });
    }
  }
}

/** Resolves when `promise` does or `signal` aborts, whichever is first. */
function untilAborted(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const onAbort = (): void => resolve();
    const onSettled = (): void => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(onSettled, onSettled);
  });
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new Error('aborted');
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && err.name === 'TimeoutError';
}

/** The HTTP status of a failed watch or list request, if it had one. */
function statusCodeOf(err: unknown): number | undefined {
  if (err instanceof ApiException || err instanceof KubeApiError) return err.code;
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** A one-line description: the message, the cause's message (fetch puts the network error there), the HTTP status. */
function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // client-node's ApiException message spans lines (code, message, body, headers): keep the message.
  if (err instanceof ApiException) return `HTTP ${err.code}: ${err.message.split('\n')[1]?.replace(/^Message: /, '') ?? ''}`;
  if (err instanceof KubeApiError) return `HTTP ${err.code}: ${err.message}`;
  // The object client's errors already quote their cause.
  const cause = err.cause instanceof Error && !err.message.includes(err.cause.message) ? `: ${err.cause.message}` : '';
  const status = statusCodeOf(err);
  return `${err.message}${cause}${status ? ` (HTTP ${status})` : ''}`;
}

/** An Error saying in one line which request failed and why, keeping the original as cause. */
function asError(err: unknown, request: string): Error {
  return new Error(`${request}: ${errorText(err)}`, { cause: err });
}
