/**
 * Writing what a reconcile decided: the one serial status patcher, the status finalizer that
 * runs at the end of every reconcile, and the finalizer helpers.
 */
import { Annotation, ConditionType, Finalizer, Reason, statusFieldManager, type Condition, type ObjectMeta } from '@eddy/api';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError, ObjectClient, isNotFound, type ApiObject, type ObjectRef } from '../client/object-client.ts';
import { deleteCondition, getCondition, isTrue, setCondition, type ConditionOptions } from './conditions.ts';

/** An object whose status the patcher writes. */
export interface StatusObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  status?: object;
}

/** Options of {@link StatusPatcher}. */
export interface StatusPatcherOptions {
  kubeConfig: KubeConfig;
  /** The controller's name (e.g. `kustomize-controller`); the field manager is `gotk-<controller>`. */
  controller: string;
  /** Bound of each request, in milliseconds (default 30 s). */
  timeoutMs?: number;
}

/** Options of {@link StatusPatcher.patch}. */
export interface PatchOptions {
  /**
   * Cancels the request (it is also bounded by the patcher's timeout). When a later call
   * supersedes this one before it is sent, the later call's signal applies.
   */
  signal?: AbortSignal;
}

interface Waiter {
  resolve(obj: ApiObject): void;
  reject(err: unknown): void;
}

/** The status waiting to be written for one object, and everyone waiting for it. */
interface Pending {
  /** What is applied: the object's apiVersion, kind, name and namespace, and the status. */
  body: ObjectRef & { status: object };
  signal: AbortSignal | undefined;
  waiters: Waiter[];
}

/** One object's write queue: at most one write in flight plus at most one queued. */
interface Slot {
  next: Pending | undefined;
}

/**
 * The serial status patcher: writes an object's whole `status` to its status subresource with
 * server-side apply, field manager `gotk-<controller>` and force, as Flux's controllers do.
 *
 * Writes are serialized per object: one request in flight per object, and a status given while
 * one is in flight waits; a later status supersedes one still waiting (only the newest state is
 * worth writing), and both callers resolve when it is written. Different objects do not wait for
 * each other.
 */
export class StatusPatcher {
  /** The field manager of every write (`gotk-<controller>`). */
  readonly fieldManager: string;
  private readonly client: ObjectClient;
  private readonly slots = new Map<string, Slot>();

  constructor(opts: StatusPatcherOptions) {
    this.fieldManager = statusFieldManager(opts.controller);
    this.client = new ObjectClient(opts.kubeConfig, opts.timeoutMs === undefined ? {} : { requestTimeoutMs: opts.timeoutMs });
  }

  /**
   * Writes `obj.status` (as it is now: later changes to `obj` are not sent) and resolves with the
   * object the API server returned once this status, or a later one that superseded it, is
   * written. Rejects with the API server's error (e.g. a KubeApiError with code 404 when the
   * object is gone).
   */
  patch(obj: StatusObject, opts: PatchOptions = {}): Promise<ApiObject> {
    const { name, namespace } = obj.metadata;
    if (!name) return Promise.reject(new Error(`${obj.kind} has no metadata.name`));
    const key = `${obj.apiVersion}/${obj.kind}/${namespace ?? ''}/${name}`;
    // Only the identity and the status are sent: the apply must not claim any other field.
    const metadata = namespace ? { name, namespace } : { name };
    const body = { apiVersion: obj.apiVersion, kind: obj.kind, metadata, status: structuredClone(obj.status ?? {}) };
    const { promise, resolve, reject } = Promise.withResolvers<ApiObject>();
    const waiter: Waiter = { resolve, reject };
    const slot = this.slots.get(key);
    if (slot?.next) {
      // Supersede the queued status: its callers now wait for this one.
      slot.next = { body, signal: opts.signal, waiters: [...slot.next.waiters, waiter] };
    } else if (slot) {
      slot.next = { body, signal: opts.signal, waiters: [waiter] };
    } else {
      const fresh: Slot = { next: { body, signal: opts.signal, waiters: [waiter] } };
      this.slots.set(key, fresh);
      this.drain(key, fresh).catch((err: unknown) => {
        // drain settles every waiter itself; this only guards against a bug leaving some hanging.
        for (const w of fresh.next?.waiters ?? []) w.reject(err);
      });
    }
    return promise;
  }

  /** How many objects have a status write in flight or queued. */
  get inFlight(): number {
    return this.slots.size;
  }

  private async drain(key: string, slot: Slot): Promise<void> {
    try {
      for (let p = slot.next; p !== undefined; p = slot.next) {
        slot.next = undefined;
        try {
          const written = await this.client.apply(p.body, { fieldManager: this.fieldManager, force: true, subresource: 'status' }, p.signal);
          for (const w of p.waiters) w.resolve(written);
        } catch (err) {
          for (const w of p.waiters) w.reject(err);
        }
      }
    } finally {
      this.slots.delete(key);
    }
  }
}

/** The status fields every Flux object has, which {@link finalizeStatus} sets. */
export interface ReconcileStatus {
  conditions?: Condition[];
  observedGeneration?: number;
  lastHandledReconcileAt?: string;
}

/** An object {@link finalizeStatus} works on. */
export interface FinalizableObject {
  metadata: { generation?: number; annotations?: Record<string, string> };
  status?: ReconcileStatus;
}

/** Options of {@link finalizeStatus}. */
export interface FinalizeStatusOptions extends ConditionOptions {
  /**
   * The `reconcile.fluxcd.io/requestedAt` value this reconcile handled; by default the
   * annotation of `obj` (the object as read at the start of the reconcile).
   */
  reconcileRequestedAt?: string;
}

/**
 * The status finalizer run at the end of every reconcile, before the last status write, as
 * Flux's controllers do:
 *
 * - `lastHandledReconcileAt` echoes the `reconcile.fluxcd.io/requestedAt` annotation, so
 *   `flux reconcile` sees its request handled;
 * - on success (Ready=True) Reconciling and Stalled are removed and `observedGeneration` is set;
 * - when stalled (Stalled=True) `observedGeneration` is set too: this generation has been fully
 *   handled, and only a spec change can help;
 * - on failure (Ready=False) a remaining Reconciling condition gets reason ProgressingWithRetry,
 *   and `observedGeneration` stays, so kstatus reports the object as still in progress.
 */
export function finalizeStatus(obj: FinalizableObject, opts: FinalizeStatusOptions = {}): void {
  const status = (obj.status ??= {});
  const requestedAt = opts.reconcileRequestedAt ?? obj.metadata.annotations?.[Annotation.ReconcileRequestedAt];
  if (requestedAt !== undefined) status.lastHandledReconcileAt = requestedAt;

  if (isTrue(obj, ConditionType.Ready)) {
    deleteCondition(obj, ConditionType.Reconciling);
    deleteCondition(obj, ConditionType.Stalled);
    if (obj.metadata.generation !== undefined) status.observedGeneration = obj.metadata.generation;
    return;
  }
  if (isTrue(obj, ConditionType.Stalled)) {
    if (obj.metadata.generation !== undefined) status.observedGeneration = obj.metadata.generation;
    return;
  }
  const ready = getCondition(obj, ConditionType.Ready);
  const reconciling = getCondition(obj, ConditionType.Reconciling);
  if (ready?.status === 'False' && reconciling !== undefined) {
    setCondition(obj, ConditionType.Reconciling, 'True', Reason.ProgressingWithRetry, reconciling.message, opts);
  }
}

/** Options of {@link addFinalizer} and {@link removeFinalizer}. */
export interface FinalizerOptions {
  signal?: AbortSignal;
  /** The finalizer; Flux's `finalizers.fluxcd.io` by default. */
  finalizer?: string;
  /** Bound of each request, in milliseconds (default 30 s). */
  timeoutMs?: number;
}

/**
 * One ObjectClient per KubeConfig and timeout, so its discovery cache is shared by every
 * finalizer edit (a fresh client per edit would cost a discovery request per object).
 */
const objectClients = new WeakMap<KubeConfig, Map<number | undefined, ObjectClient>>();

function objectClientFor(kc: KubeConfig, timeoutMs: number | undefined): ObjectClient {
  let byTimeout = objectClients.get(kc);
  if (!byTimeout) objectClients.set(kc, (byTimeout = new Map()));
  let client = byTimeout.get(timeoutMs);
  if (!client) byTimeout.set(timeoutMs, (client = new ObjectClient(kc, timeoutMs === undefined ? {} : { requestTimeoutMs: timeoutMs })));
  return client;
}

/** How often a finalizer edit re-reads the object after a conflict before giving up. */
const maxConflictRetries = 5;

/**
 * Edits `metadata.finalizers` with `edit` (undefined: nothing to change) and writes the result.
 *
 * Why a JSON merge patch carrying `metadata.resourceVersion` (an optimistic lock) rather than
 * server-side apply: an apply can only remove list items its own manager applied, so a
 * finalizer added by anyone else (e.g. by Flux itself before Eddy took over the object, or by
 * an `Update`) could never be removed, and the object would hang in deletion. The merge patch
 * replaces exactly the list read at `resourceVersion`; if anyone changed the object since, the
 * API server answers 409 and the edit is redone on a fresh read, so a concurrent finalizer is
 * never dropped. The field manager is still `gotk-<controller>`.
 */
async function editFinalizers(
  kc: KubeConfig,
  obj: StatusObject,
  controller: string,
  opts: FinalizerOptions,
  edit: (finalizers: string[]) => string[] | undefined,
): Promise<boolean> {
  const client = objectClientFor(kc, opts.timeoutMs);
  const fieldManager = statusFieldManager(controller);
  let current: ObjectMeta = obj.metadata;
  for (let attempt = 0; ; attempt++) {
    const next = edit(current.finalizers ?? []);
    if (next === undefined) {
      obj.metadata.finalizers = current.finalizers;
      obj.metadata.resourceVersion = current.resourceVersion;
      return false;
    }
    try {
      // Without a resourceVersion the patch would have no precondition: read one first.
      if (current.resourceVersion === undefined) {
        current = (await client.get(obj, opts.signal)).metadata;
        continue;
      }
      const patch = { metadata: { resourceVersion: current.resourceVersion, finalizers: next } };
      const written = await client.mergePatch(obj, patch, { fieldManager }, opts.signal);
      obj.metadata.finalizers = written.metadata.finalizers;
      obj.metadata.resourceVersion = written.metadata.resourceVersion;
      return true;
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 409 && attempt < maxConflictRetries) {
        current = (await client.get(obj, opts.signal)).metadata;
        continue;
      }
      throw err;
    }
  }
}

/**
 * Adds the finalizer (Flux's `finalizers.fluxcd.io` by default) to the object, as
 * `gotk-<controller>`. Idempotent: resolves false without a request when `obj` already has it.
 * Updates `obj.metadata.finalizers` and `resourceVersion` to what was written.
 */
export async function addFinalizer(kc: KubeConfig, obj: StatusObject, controller: string, opts: FinalizerOptions = {}): Promise<boolean> {
  const finalizer = opts.finalizer ?? Finalizer;
  return editFinalizers(kc, obj, controller, opts, (list) => (list.includes(finalizer) ? undefined : [...list, finalizer]));
}

/**
 * Removes the finalizer (Flux's `finalizers.fluxcd.io` by default) from the object, as
 * `gotk-<controller>`, leaving every other finalizer in place. Idempotent: resolves false when
 * `obj` does not have it, or when the object is already gone (its deletion completed).
 */
export async function removeFinalizer(kc: KubeConfig, obj: StatusObject, controller: string, opts: FinalizerOptions = {}): Promise<boolean> {
  const finalizer = opts.finalizer ?? Finalizer;
  try {
    return await editFinalizers(kc, obj, controller, opts, (list) => (list.includes(finalizer) ? list.filter((f) => f !== finalizer) : undefined));
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}
