/**
 * The three ways a reconcile step fails, each carrying a Flux reason. A step throws one; the
 * controller turns it into conditions, an event, a log line and a requeue in one place:
 *
 * - {@link StallingError}: the user must change something; Stalled=True, no requeue.
 * - {@link WaitingError}: something else must happen first; Ready=False, requeue after `requeueAfterMs`.
 * - {@link ReconcileError}: transient; Ready=False, retried with exponential backoff.
 *
 * Never match on message text: match on the class and `reason`.
 */

/** Base of the typed reconcile errors. */
export abstract class ReconcileFailure extends Error {
  /** The Flux condition reason, e.g. `AuthenticationFailed`. */
  readonly reason: string;
  constructor(reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

/** The object cannot make progress until its spec changes. */
export class StallingError extends ReconcileFailure {
  override readonly name = 'StallingError';
}

/** Something else must happen first (a dependency, a source artifact); retried after a fixed delay. */
export class WaitingError extends ReconcileFailure {
  override readonly name = 'WaitingError';
  readonly requeueAfterMs: number;
  constructor(reason: string, message: string, requeueAfterMs: number, options?: { cause?: unknown }) {
    super(reason, message, options);
    this.requeueAfterMs = requeueAfterMs;
  }
}

/** A transient failure; retried with the work queue's exponential backoff. */
export class ReconcileError extends ReconcileFailure {
  override readonly name = 'ReconcileError';
}
