/**
 * Health checks over a set of objects: read each one and compute its kstatus, once
 * ({@link checkHealth}) or until all are Current ({@link waitForSet}), failing fast when one is
 * Failed and giving up, bounded, with the objects still not ready.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Reason } from '@eddy/api';
import { ObjectClient, ReconcileError, mapLimit, redactUrls, withDeadline } from '@eddy/runtime';
import type { KubeConfig } from '@kubernetes/client-node';
import { errorMessage } from '../inventory/error-message.ts';
import { stubOf, subjectOf, type ObjectRef } from '../inventory/inventory.ts';
import type { StatusReader } from './cel.ts';
import { computeStatus, type KStatus } from './kstatus.ts';

/** The health of one object. */
export interface HealthResult {
  ref: ObjectRef;
  /** `Kind/namespace/name`, or `Kind/name` for a cluster-scoped object. */
  subject: string;
  status: KStatus;
  message: string;
}

/** Options of {@link checkHealth}. */
export interface CheckHealthOptions {
  signal: AbortSignal;
  /** Reads in flight at once (default 4). */
  concurrency?: number;
  /** Time allowed for each read (default 30 s). */
  requestTimeoutMs?: number;
  /** A custom status for some kinds (CEL health checks); kstatus decides for the rest. */
  statusReader?: StatusReader;
}

/** Options of {@link waitForSet}. */
export interface WaitOptions extends CheckHealthOptions {
  /** The longest to wait for all objects to be Current. */
  timeoutMs: number;
  /**
   * The longest pause between reads (default 2 s, as Flux's poller). The first pauses are
   * shorter (a quarter second, doubling up to it): most objects are ready within a second of
   * being applied, and a reconcile's worker should not sit out a full interval for them.
   */
  intervalMs?: number;
  /** Stop at the first Failed object instead of waiting for the timeout (default true). */
  failFast?: boolean;
  /**
   * Objects already in hand, by subject (`Kind/namespace/name`), such as the answers of the
   * apply just made (`ChangeSetEntry.object`): their first status is computed from them
   * without a read, so a ConfigMap applied a moment ago costs no request to be found Current.
   */
  known?: ReadonlyMap<string, Record<string, unknown>>;
}

/**
 * Why a health check did not pass. `reason` is `HealthCheckFailed` (an object Failed, or time
 * ran out) or `HealthCheckCanceled` (the signal aborted); `results` has every object's last status.
 */
export class HealthCheckError extends ReconcileError {
  readonly results: HealthResult[];
  constructor(reason: string, message: string, results: HealthResult[], options?: { cause?: unknown }) {
    super(reason, message, options);
    this.results = results;
  }
}

/** The most objects an error message names; the rest are counted. */
const maxListed = 10;
/** The most characters of one object's message quoted in an error. */
const maxMessageChars = 300;

/**
 * Reads each object once and computes its kstatus. An object that does not exist is
 * `NotFound`; one that cannot be read (network, 5xx, timeout) is `Unknown` with the error.
 * Never throws except when the signal aborts.
 */
export async function checkHealth(kubeConfig: KubeConfig, refs: readonly ObjectRef[], opts: CheckHealthOptions): Promise<HealthResult[]> {
  return checkWith(new ObjectClient(kubeConfig, { requestTimeoutMs: opts.requestTimeoutMs }), refs, opts);
}

async function checkWith(client: ObjectClient, refs: readonly ObjectRef[], opts: CheckHealthOptions, known?: ReadonlyMap<string, Record<string, unknown>>): Promise<HealthResult[]> {
  // No signal: an aborted read is reported as Unknown, and the abort is thrown below.
  const results = await mapLimit(refs, opts.concurrency ?? 4, undefined, async (ref): Promise<HealthResult> => {
    const subject = subjectOf(ref);
    try {
      const live = known?.get(subject) ?? (await client.find<Record<string, unknown>>(stubOf(ref), opts.signal));
      if (!live) return { ref, subject, status: 'NotFound', message: 'Resource not found' };
      return { ref, subject, ...(opts.statusReader?.(live) ?? computeStatus(live)) };
    } catch (err) {
      return { ref, subject, status: 'Unknown', message: errorMessage(err) };
    }
  });
  opts.signal.throwIfAborted();
  return results;
}

/**
 * Polls the objects until every one is Current, and returns their results. Throws a
 * {@link HealthCheckError}: when an object is Failed (with `failFast`, naming each failed
 * object and its kstatus message, e.g. `Deployment/apps/web: Progress deadline exceeded`), when
 * `timeoutMs` passes (listing the objects not ready with status and message), or when the
 * signal aborts.
 */
export async function waitForSet(kubeConfig: KubeConfig, refs: readonly ObjectRef[], opts: WaitOptions): Promise<HealthResult[]> {
  const client = new ObjectClient(kubeConfig, { requestTimeoutMs: opts.requestTimeoutMs });
  // Reads are bounded by the deadline too, so a hung API server cannot stretch the wait.
  return await withDeadline(opts.timeoutMs, opts.signal, async (signal) => {
    let results: HealthResult[] = refs.map((ref) => ({ ref, subject: subjectOf(ref), status: 'Unknown', message: 'not checked yet' }));
    const maxPauseMs = opts.intervalMs ?? 2_000;
    let pauseMs = Math.min(firstPauseMs, maxPauseMs);
    // The objects in hand stand in for the first round of reads only.
    let known = opts.known;
    for (;;) {
      // Only what is not Current yet is read again.
      const pending = results.filter((r) => r.status !== 'Current');
      let checked: HealthResult[];
      try {
        checked = await checkWith(client, pending.map((r) => r.ref), { ...opts, signal }, known);
        known = undefined;
      } catch (err) {
        throw stopped(opts.signal, results, err);
      }
      const byRef = new Map(pending.map((r, i) => [r, checked[i]!]));
      results = results.map((r) => byRef.get(r) ?? r);
      const failed = results.filter((r) => r.status === 'Failed');
      if ((opts.failFast ?? true) && failed.length > 0) {
        throw new HealthCheckError(Reason.HealthCheckFailed, listed(failed, (r) => `${r.subject}: ${clip(r.message)}`), results);
      }
      if (results.every((r) => r.status === 'Current')) return results;
      try {
        await delay(pauseMs, undefined, { signal });
      } catch (err) {
        throw stopped(opts.signal, results, err);
      }
      pauseMs = Math.min(pauseMs * 2, maxPauseMs);
    }
  });
}

/** The first pause of {@link waitForSet} between reads. */
const firstPauseMs = 250;

/** The error for a wait that ended by the caller's abort or by the timeout. */
function stopped(callerSignal: AbortSignal, results: HealthResult[], cause: unknown): HealthCheckError {
  if (callerSignal.aborted) return new HealthCheckError(Reason.HealthCheckCanceled, 'health check canceled', results, { cause });
  const notReady = results.filter((r) => r.status !== 'Current');
  const list = listed(notReady, (r) => `${r.subject} status: '${r.status}': ${clip(r.message)}`);
  return new HealthCheckError(Reason.HealthCheckFailed, `timeout waiting for: [${list}]`, results, { cause });
}

function listed(results: HealthResult[], format: (r: HealthResult) => string): string {
  const shown = results.slice(0, maxListed).map(format);
  if (results.length > maxListed) shown.push(`and ${results.length - maxListed} more`);
  return shown.join(', ');
}

/** An object's message, credential-free and short, for an error. */
function clip(message: string): string {
  const safe = redactUrls(message);
  return safe.length > maxMessageChars ? `${safe.slice(0, maxMessageChars)}…` : safe;
}
