/**
 * Leader election on a `coordination.k8s.io/v1` Lease, with client-go's semantics (the ones
 * controller-runtime, and so every Flux controller, uses): candidates try to take the Lease every
 * retry period; the holder renews it every retry period and gives up leading when it could not
 * renew for the renew deadline; a Lease counts as expired when it has not changed for its
 * `leaseDurationSeconds`, measured on the candidate's own clock from when it saw the change, so
 * clock skew between processes does not matter.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { ApiException, CoordinationV1Api, V1MicroTime } from '@kubernetes/client-node';
import type { KubeConfig, V1Lease, V1LeaseSpec } from '@kubernetes/client-node';
import { requestOptions } from '../client/request-options.ts';
import type { Logger } from '../logging/logger.ts';

/** Options of {@link LeaderElector}. Durations default to Flux's `--leader-election-*` flags. */
export interface LeaderElectionOptions {
  /** Where the Lease lives. */
  kubeConfig: KubeConfig;
  /** Namespace of the Lease (the controller's own namespace). */
  namespace: string;
  /** Name of the Lease; Flux uses `<controller>-leader-election`. */
  name: string;
  /** Unique per process, e.g. from {@link leaderElectionIdentity}. */
  identity: string;
  /** How long a Lease is held without renewal before others may take it; 35 s by default. */
  leaseDurationMs?: number;
  /** How long the leader keeps retrying a failed renewal before it stops leading; 30 s by default. */
  renewDeadlineMs?: number;
  /** How often candidates try to acquire and the leader renews; 5 s by default. */
  retryPeriodMs?: number;
  /** Whether the leader releases the Lease when its run is cancelled, so another takes over at once; true by default. */
  releaseOnCancel?: boolean;
  logger: Logger;
  /**
   * Called when this process becomes the leader (not awaited; a rejection is logged). `leading`
   * is aborted when it stops leading (just before {@link LeaderElectionOptions.onStoppedLeading}).
   */
  onStartedLeading?: (leading: AbortSignal) => void;
  /**
   * Called once when this process stops leading after having led: because its run was cancelled
   * (after releasing the Lease), or because it could not renew within the renew deadline — then
   * the caller should exit, as controller-runtime does, since another process may already lead.
   */
  onStoppedLeading?: () => void;
  /** Called when the known holder of the Lease changes to a new, non-empty identity (this process included). */
  onNewLeader?: (identity: string) => void;
}

/** The lease timings Flux's controllers use when the flags are not given. */
export const leaderElectionDefaults = {
  leaseDurationMs: 35_000,
  renewDeadlineMs: 30_000,
  retryPeriodMs: 5_000,
} as const;

/** An identity unique to this process, the way controller-runtime makes it: `<hostname>_<uuid>`. */
export function leaderElectionIdentity(hostname: string): string {
  return `${hostname}_${randomUUID()}`;
}

/** client-go's wait.Jitter factor for acquire attempts: the period is stretched by up to 120 %. */
const jitterFactor = 1.2;

/** What one Lease says; times are MicroTime text (RFC 3339, six fractional digits) at millisecond precision. */
interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: string | undefined;
  renewTime: string | undefined;
  leaseTransitions: number;
}

/**
 * A leader elector on one Lease. Use one per process and call {@link LeaderElector.run} once.
 */
export class LeaderElector {
  readonly #opts: LeaderElectionOptions;
  readonly #api: CoordinationV1Api;
  readonly #log: Logger;
  readonly #leaseDurationMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  /** Bound on one API call, as client-go's leader election client: half the renew deadline, at least 1 s. */
  readonly #requestTimeoutMs: number;

  /** The Lease object last read or written, whose resourceVersion the next write is conditional on. */
  #lease: V1Lease | undefined;
  /** The record last seen, and when (monotonic, our clock) it was seen to change. */
  #observed: LeaseRecord | undefined;
  #observedKey = '';
  #observedAt = 0;
  /** The holder last reported through onNewLeader. */
  #reportedLeader: string | undefined;
  #leading = false;
  #running = false;

  constructor(opts: LeaderElectionOptions) {
    this.#leaseDurationMs = opts.leaseDurationMs ?? leaderElectionDefaults.leaseDurationMs;
    this.#renewDeadlineMs = opts.renewDeadlineMs ?? leaderElectionDefaults.renewDeadlineMs;
    this.#retryPeriodMs = opts.retryPeriodMs ?? leaderElectionDefaults.retryPeriodMs;
    // The same checks as client-go's NewLeaderElector: without them a leader could lose the
    // Lease to another candidate before it notices that it failed to renew.
    if (!opts.identity) throw new Error('leader election: identity must not be empty');
    if (!opts.name || !opts.namespace) throw new Error('leader election: the Lease name and namespace must not be empty');
    if (!(this.#retryPeriodMs > 0)) throw new Error('leader election: retryPeriod must be greater than zero');
    if (!(this.#leaseDurationMs >= 1000)) throw new Error('leader election: leaseDuration must be at least 1s');
    if (!(this.#leaseDurationMs > this.#renewDeadlineMs)) throw new Error('leader election: leaseDuration must be greater than renewDeadline');
    if (!(this.#renewDeadlineMs > jitterFactor * this.#retryPeriodMs)) {
      throw new Error(`leader election: renewDeadline must be greater than retryPeriod*${jitterFactor}`);
    }
    this.#opts = opts;
    this.#requestTimeoutMs = Math.max(this.#renewDeadlineMs / 2, 1000);
    this.#api = opts.kubeConfig.makeApiClient(CoordinationV1Api);
    this.#log = opts.logger.child({ lease: `${opts.namespace}/${opts.name}`, identity: opts.identity });
  }

  /** Whether this process currently leads (between onStartedLeading and onStoppedLeading). */
  isLeader(): boolean {
    return this.#leading;
  }

  /** The identity of the Lease's holder as last seen, or undefined when none is known. */
  leader(): string | undefined {
    return this.#observed?.holderIdentity || undefined;
  }

  /**
   * Runs the election until `signal` is aborted or leadership is lost: acquires the Lease (trying
   * every retry period, jittered), then renews it every retry period. Resolves when it stops;
   * API failures are logged and retried, never thrown. Callbacks are not awaited: a failing one
   * is logged. Rejects only when a run of this elector is already in progress.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#running) throw new Error('leader election: run is already in progress');
    this.#running = true;
    try {
      this.#log.info('attempting to acquire leader lease');
      if (!(await this.#acquire(signal))) return;
      this.#log.info('successfully acquired lease');
      const leading = new AbortController();
      this.#leading = true;
      this.#callback('onStartedLeading', () => this.#opts.onStartedLeading?.(leading.signal));
      try {
        await this.#renew(signal);
      } finally {
        this.#leading = false;
        leading.abort();
        if (this.#opts.releaseOnCancel ?? true) await this.#release();
        this.#callback('onStoppedLeading', () => this.#opts.onStoppedLeading?.());
      }
    } finally {
      this.#running = false;
    }
  }

  /** Tries until the Lease is ours (true) or `signal` is aborted (false). */
  async #acquire(signal: AbortSignal): Promise<boolean> {
    for (;;) {
      if (signal.aborted) return false;
      const ok = await this.#tryAcquireOrRenew(signal);
      this.#reportTransition();
      if (ok) return true;
      await sleep(this.#retryPeriodMs * (1 + Math.random() * jitterFactor), signal);
    }
  }

  /** Renews every retry period until `signal` is aborted or a renewal keeps failing for the renew deadline. */
  async #renew(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const ok = await this.#renewWithin(signal);
      this.#reportTransition();
      if (signal.aborted) return;
      if (!ok) {
        this.#log.error('failed to renew lease', { error: `timed out after ${this.#renewDeadlineMs / 1000}s` });
        return;
      }
      await sleep(this.#retryPeriodMs, signal);
    }
  }

  /** One renewal: tries every retry period until it succeeds or the renew deadline passes. */
  async #renewWithin(signal: AbortSignal): Promise<boolean> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new Error('renew deadline exceeded')), this.#renewDeadlineMs);
    const bounded = AbortSignal.any([signal, deadline.signal]);
    try {
      for (;;) {
        if (bounded.aborted) return false;
        if (await this.#tryAcquireOrRenew(bounded)) return true;
        await sleep(this.#retryPeriodMs, bounded);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * One step of client-go's tryAcquireOrRenew: writes a record naming us if the Lease is ours,
   * free, or expired; returns whether we hold it now.
   */
  async #tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const now = microTime(Date.now());
    const desired: LeaseRecord = {
      holderIdentity: this.#opts.identity,
      leaseDurationSeconds: Math.floor(this.#leaseDurationMs / 1000),
      acquireTime: now,
      renewTime: now,
      leaseTransitions: 0,
    };

    // 1. The leader renews optimistically, assuming the Lease is still the one it last wrote.
    if (this.#observed && this.#observedIsSelf() && this.#leaseValid()) {
      const record = { ...desired, acquireTime: this.#observed.acquireTime, leaseTransitions: this.#observed.leaseTransitions };
      try {
        await this.#update(record, signal);
        return true;
      } catch (err) {
        this.#log.debug('failed to update lease optimistically, falling back to slow path', { error: describe(err) });
      }
    }

    // 2. Read the Lease, creating it when absent.
    let current: V1Lease;
    try {
      current = await this.#api.readNamespacedLease({ name: this.#opts.name, namespace: this.#opts.namespace }, requestOptions(this.#requestSignal(signal)));
    } catch (err) {
      if (!(err instanceof ApiException && err.code === 404)) {
        this.#log.error('error retrieving resource lock', { error: describe(err) });
        return false;
      }
      try {
        const created = await this.#api.createNamespacedLease(
          {
            namespace: this.#opts.namespace,
            body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.#opts.name, namespace: this.#opts.namespace }, spec: leaseSpec(desired) },
          },
          requestOptions(this.#requestSignal(signal)),
        );
        this.#lease = created;
        this.#observe(desired);
        return true;
      } catch (createErr) {
        this.#log.error('error initially creating leader election record', { error: describe(createErr) });
        return false;
      }
    }
    this.#lease = current;
    const seen = leaseRecord(current.spec);
    this.#observe(seen);

    // 3. Someone else holds a Lease that has not expired on our clock.
    if (seen.holderIdentity && this.#leaseValid() && !this.#observedIsSelf()) {
      this.#log.debug('lock is held by another and has not yet expired', { holder: seen.holderIdentity });
      return false;
    }

    // 4. Take or keep it; a change of holder is a transition.
    const record = this.#observedIsSelf()
      ? { ...desired, acquireTime: seen.acquireTime, leaseTransitions: seen.leaseTransitions }
      : { ...desired, leaseTransitions: seen.leaseTransitions + 1 };
    try {
      await this.#update(record, signal);
      return true;
    } catch (err) {
      // A 409 means someone else wrote first: the next attempt re-reads.
      this.#log.error('failed to update lock', { error: describe(err) });
      return false;
    }
  }

  /** Gives the Lease up so another candidate need not wait for it to expire (client-go's release). */
  async #release(): Promise<void> {
    if (!this.#observed || !this.#observedIsSelf()) return;
    const now = microTime(Date.now());
    // The run's signal is already aborted here: the release has its own bound.
    const bound = AbortSignal.timeout(this.#renewDeadlineMs);
    const released = { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: this.#observed.leaseTransitions };
    try {
      try {
        await this.#update(released, bound);
      } catch (err) {
        // A renewal the run's abort cut short may still have reached the server and moved the
        // resourceVersion: re-read, and release if the Lease is still ours.
        if (!(err instanceof ApiException && err.code === 409)) throw err;
        this.#lease = await this.#api.readNamespacedLease({ name: this.#opts.name, namespace: this.#opts.namespace }, requestOptions(this.#requestSignal(bound)));
        if (this.#lease.spec?.holderIdentity !== this.#opts.identity) return;
        await this.#update(released, bound);
      }
      this.#log.info('released lease');
    } catch (err) {
      this.#log.error('failed to release lock', { error: describe(err) });
    }
  }

  /** Replaces the Lease's spec, conditional on the resourceVersion last seen; records what was written. */
  async #update(record: LeaseRecord, signal: AbortSignal): Promise<void> {
    if (!this.#lease) throw new Error('lease not initialized: read or create it first');
    const body: V1Lease = { ...this.#lease, spec: leaseSpec(record) };
    this.#lease = await this.#api.replaceNamespacedLease(
      { name: this.#opts.name, namespace: this.#opts.namespace, body },
      requestOptions(this.#requestSignal(signal)),
    );
    this.#observe(record);
  }

  /** Remembers a record, restarting the expiry clock only when it differs from the last one seen. */
  #observe(record: LeaseRecord): void {
    const key = JSON.stringify(record);
    if (key === this.#observedKey) return;
    this.#observed = record;
    this.#observedKey = key;
    this.#observedAt = performance.now();
  }

  #observedIsSelf(): boolean {
    return this.#observed?.holderIdentity === this.#opts.identity;
  }

  /** Whether the observed record's lease duration has not yet passed since we saw it change. */
  #leaseValid(): boolean {
    const durationMs = (this.#observed?.leaseDurationSeconds ?? 0) * 1000;
    return this.#observedAt + durationMs > performance.now();
  }

  /** Calls onNewLeader when the known holder changed since the last report. */
  #reportTransition(): void {
    const holder = this.leader();
    if (holder === undefined || holder === this.#reportedLeader) return;
    this.#reportedLeader = holder;
    this.#log.info('new leader elected', { holder });
    this.#callback('onNewLeader', () => this.#opts.onNewLeader?.(holder));
  }

  /** A signal for one API call: the caller's, bounded by the per-request timeout. */
  #requestSignal(signal: AbortSignal): AbortSignal {
    return AbortSignal.any([signal, AbortSignal.timeout(this.#requestTimeoutMs)]);
  }

  /** Runs a user callback; a throwing (or rejecting) callback is logged and must not break the election. */
  #callback(name: string, fn: () => unknown): void {
    const failed = (err: unknown) => this.#log.error(`leader election callback ${name} failed`, { error: describe(err) });
    try {
      const result = fn();
      if (result instanceof Promise) result.catch(failed);
    } catch (err) {
      failed(err);
    }
  }
}

/** Waits `ms`, or less when `signal` is aborted; never rejects. */
async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal }).catch(() => undefined);
}

/** The Lease's spec as a record; absent fields read as client-go reads them (zero values). */
function leaseRecord(spec: V1LeaseSpec | undefined): LeaseRecord {
  return {
    holderIdentity: spec?.holderIdentity ?? '',
    leaseDurationSeconds: spec?.leaseDurationSeconds ?? 0,
    acquireTime: microTimeString(spec?.acquireTime),
    renewTime: microTimeString(spec?.renewTime),
    leaseTransitions: spec?.leaseTransitions ?? 0,
  };
}

/**
 * The Lease spec for a record. Times are sent as V1MicroTime: the API server rejects a plain
 * Date, whose JSON has milliseconds only, where a MicroTime is expected.
 */
function leaseSpec(record: LeaseRecord): V1LeaseSpec {
  return {
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    leaseTransitions: record.leaseTransitions,
    ...(record.acquireTime !== undefined ? { acquireTime: new V1MicroTime(record.acquireTime) } : {}),
    ...(record.renewTime !== undefined ? { renewTime: new V1MicroTime(record.renewTime) } : {}),
  };
}

/** A time as MicroTime's text: RFC 3339 in UTC with six fractional digits. */
function microTime(ms: number): string {
  return new V1MicroTime(ms).toISOString();
}

/**
 * A MicroTime read from the API, as our MicroTime text. client-node types it as a Date but, not
 * knowing the type, hands over the server's string unchanged; either is accepted. It is kept to
 * millisecond precision (what a Date holds) so that a record we write back reads back the same.
 */
function microTimeString(value: unknown): string | undefined {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isNaN(ms) ? undefined : microTime(ms);
}

/** An error's message, with the API's status message when it is an ApiException. */
function describe(err: unknown): string {
  if (err instanceof ApiException) {
    const body: unknown = err.body;
    const message = typeof body === 'string' ? statusMessage(body) : undefined;
    return `${err.code}${message ? `: ${message}` : ''}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** The message of a Kubernetes Status in a response body, if it is one. */
function statusMessage(body: string): string | undefined {
  try {
    const status: unknown = JSON.parse(body);
    if (status && typeof status === 'object' && 'message' in status && typeof status.message === 'string') return status.message;
  } catch {
    // not JSON: fall through to the raw body
  }
  return body.slice(0, 200);
}
