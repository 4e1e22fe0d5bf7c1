/** The contract between a reconciler and the runtime. */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Condition, ObjectMeta } from '@eddy/api';
import type { Logger } from '../logging/logger.ts';

/** The minimum shape of an object the runtime reconciles: a Flux-style object with status. */
export interface ReconciledObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: { suspend?: boolean; interval?: string; serviceAccountName?: string };
  status?: {
    conditions?: Condition[];
    observedGeneration?: number;
    lastHandledReconcileAt?: string;
  };
}

/** Which kind a controller reconciles. */
export interface KindRef {
  apiVersion: string;
  kind: string;
  plural: string;
}

/** What a reconcile asks for when it returns normally. */
export interface ReconcileResult {
  /** Reconcile again after this many milliseconds; absent means not again until something changes. */
  requeueAfterMs?: number;
}

/** Key-only request: the runtime re-reads the object; a reconcile never branches on what woke it. */
export interface ReconcileRequest {
  namespace: string;
  name: string;
}

/** What a reconciler gets besides the object. */
export interface ReconcileContext {
  /** Logger with controllerKind, name, namespace and reconcileID. */
  log: Logger;
  /** Aborted when the controller shuts down past its deadline. */
  signal: AbortSignal;
  reconcileID: string;
  /** The controller's own Kubernetes client configuration. */
  kubeConfig: KubeConfig;
  /**
   * Reports progress: Reconciling=True with this message, so `kubectl get` shows what is
   * happening ("Building manifests for revision ..."). Written within a second, not at once:
   * a reconcile that is done sooner writes its status once, at the end.
   */
  progress(message: string): Promise<void>;
  /** Emits a Kubernetes Event (and forwards it to notification-controller when configured). */
  event(type: 'Normal' | 'Warning', reason: string, message: string, metadata?: Record<string, string>): void;
  /** Adds the Flux finalizer if missing (written at once). */
  ensureFinalizer(): Promise<void>;
  /** Removes the finalizer after cleanup of a deleted object; return its result from reconcile. */
  finalizeDeletion(): Promise<ReconcileResult>;
  /** Records that the object is suspended; return its result from reconcile. */
  suspended(): ReconcileResult;
  /** A successful reconcile's requeue: the object's `spec.interval`, jittered by `--interval-jitter-percentage`. */
  requeueAtInterval(): ReconcileResult;
}

/**
 * A reconciler of one kind. `reconcile` converges the (deep-copied) object and sets its
 * conditions with the runtime's helpers; the runtime writes the status afterwards. A step that
 * fails throws a StallingError, WaitingError or ReconcileError (see errors.ts).
 */
export interface Reconciler<T extends ReconciledObject> {
  reconcile(obj: T, ctx: ReconcileContext): Promise<ReconcileResult>;
}
