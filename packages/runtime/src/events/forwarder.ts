/**
 * Forwarding events to notification-controller (`--events-addr`), as Flux's event recorder does:
 * each info or error event is POSTed as JSON in the `event.toolkit.fluxcd.io/v1beta1` shape.
 *
 * Forwarding never blocks a reconcile: events go into a bounded in-memory queue that one worker
 * drains in order; each POST has a timeout and a few retries with exponential backoff; when the
 * queue is full the oldest event is dropped (and logged).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../logging/logger.ts';

/** The severity of a forwarded event (Flux's `eventv1.EventSeverityInfo`/`EventSeverityError`). */
export type EventSeverity = 'info' | 'error';

/** An event as notification-controller receives it (`event.toolkit.fluxcd.io/v1beta1` Event). */
export interface FluxEvent {
  /** The object the event is about. */
  involvedObject: { apiVersion: string; kind: string; name: string; namespace: string; uid: string };
  severity: EventSeverity;
  /** RFC 3339, whole seconds (`metav1.Time`). */
  timestamp: string;
  message: string;
  /** The Flux reason, e.g. `ReconciliationSucceeded`. */
  reason: string;
  /** E.g. `{ 'kustomize.toolkit.fluxcd.io/revision': 'main@sha1:…' }`; absent when empty. */
  metadata?: Record<string, string>;
  /** The controller's name, e.g. `kustomize-controller`. */
  reportingController: string;
  /** The controller's instance (pod name); absent when unknown. */
  reportingInstance?: string;
}

/** Options of {@link EventForwarder}. */
export interface EventForwarderOptions {
  /** The `--events-addr` URL, e.g. `http://notification-controller.flux-system.svc.cluster.local./`. */
  address: string;
  logger: Logger;
  /** Bound of each POST, in milliseconds (default 5 s, as Flux). */
  timeoutMs?: number;
  /** Retries after the first attempt for connection errors and 5xx answers (default 4, as Flux). */
  retries?: number;
  /** Delay before the first retry, doubled for each next one (default 1 s). */
  backoffMs?: number;
  /** Upper bound of the retry delay (default 30 s, as Flux). */
  maxBackoffMs?: number;
  /** Events kept waiting at most; beyond, the oldest is dropped (default 1000). */
  queueSize?: number;
}

/** Whether an answer is worth another attempt: server errors except "not implemented". */
function retryable(status: number): boolean {
  return status >= 500 && status !== 501;
}

/**
 * Forwards events to notification-controller (see the module comment). `forward()` never
 * blocks or throws; `flush()` waits until every queued event is sent or given up on; `close()`
 * stops for good, cancelling the request or backoff under way and dropping the queue.
 */
export class EventForwarder {
  private readonly address: string;
  private readonly logger: Logger;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly queueSize: number;
  private readonly queue: FluxEvent[] = [];
  private readonly stop = new AbortController();
  private worker: Promise<void> | undefined;

  constructor(opts: EventForwarderOptions) {
    // Fail at startup on a malformed --events-addr, not at the first event.
    this.address = new URL(opts.address).toString();
    this.logger = opts.logger.child({ component: 'event-forwarder' });
    this.timeoutMs = opts.timeoutMs ?? 5_000;
    this.retries = opts.retries ?? 4;
    this.backoffMs = opts.backoffMs ?? 1_000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 30_000;
    this.queueSize = Math.max(1, opts.queueSize ?? 1_000);
  }

  /** Queues the event for sending; drops the oldest queued one when the queue is full. */
  forward(event: FluxEvent): void {
    if (this.stop.signal.aborted) return;
    if (this.queue.length >= this.queueSize) {
      const dropped = this.queue.shift();
      this.logger.error('event queue full, dropping the oldest event', {
        reason: dropped?.reason,
        name: dropped?.involvedObject.name,
        namespace: dropped?.involvedObject.namespace,
      });
    }
    this.queue.push(event);
    this.kick();
  }

  /** Resolves when every queued event has been sent or given up on. */
  async flush(): Promise<void> {
    while (this.worker) await this.worker;
  }

  /** Stops forwarding: cancels the request or backoff under way and drops queued events. */
  async close(): Promise<void> {
    this.stop.abort();
    this.queue.length = 0;
    await this.flush();
  }

  /** Starts the worker unless it runs or there is nothing to do. */
  private kick(): void {
    if (this.worker !== undefined || this.queue.length === 0) return;
    // drain() never rejects; an event queued just as it finished is picked up by the next kick.
    this.worker = this.drain().finally(() => {
      this.worker = undefined;
      this.kick();
    });
  }

  private async drain(): Promise<void> {
    for (let event = this.queue.shift(); event !== undefined; event = this.queue.shift()) {
      try {
        await this.send(event);
      } catch (err) {
        if (this.stop.signal.aborted) return;
        this.logger.error('unable to forward event', {
          error: err instanceof Error ? err.message : String(err),
          reason: event.reason,
          name: event.involvedObject.name,
          namespace: event.involvedObject.namespace,
        });
      }
    }
  }

  /** POSTs one event, retrying connection errors and 5xx answers with backoff. */
  private async send(event: FluxEvent): Promise<void> {
    const body = JSON.stringify(event);
    for (let attempt = 0; ; attempt++) {
      const failure = await this.post(body);
      if (failure === undefined) return;
      if (!failure.retry) throw new Error(failure.message);
      if (attempt >= this.retries) throw new Error(`${failure.message} (gave up after ${attempt + 1} attempts)`);
      await delay(Math.min(this.maxBackoffMs, this.backoffMs * 2 ** attempt), undefined, { signal: this.stop.signal });
    }
  }

  /** One POST: undefined when done with (delivered, or refused as a duplicate), else what went wrong. */
  private async post(body: string): Promise<{ message: string; retry: boolean } | undefined> {
    let res: Response;
    try {
      res = await fetch(this.address, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
        signal: AbortSignal.any([this.stop.signal, AbortSignal.timeout(this.timeoutMs)]),
      });
    } catch (err) {
      if (this.stop.signal.aborted) throw err;
      return { message: `POST ${this.address}: ${describe(err)}`, retry: true };
    }
    // The answer's body is not needed; reading it releases the connection.
    await res.arrayBuffer().catch(() => undefined);
    // 429: notification-controller rate-limits duplicate events; a retry would only add load (as Flux).
    if (res.ok || res.status === 429) return undefined;
    return { message: `POST ${this.address}: ${res.status} ${res.statusText}`, retry: retryable(res.status) };
  }
}

/** An error's message, with its cause's (fetch says only "fetch failed" and puts why in the cause). */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message;
}
