/**
 * Recording events about reconciled objects, as Flux's event recorder does: a core/v1 Event in
 * the object's namespace (what `kubectl describe` and `flux events` show), and, when an
 * {@link EventForwarder} is configured (`--events-addr`), the same event forwarded to
 * notification-controller.
 *
 * Recording never throws into a reconcile and never makes it wait: writes happen in the
 * background and failures are logged. Repeats of an identical event (same object, type, reason
 * and message) within the aggregation window update the existing Event (count + 1, new
 * lastTimestamp) instead of creating another, as client-go's event correlator does.
 */
import { hostname } from 'node:os';
import { ApiException, CoreV1Api, type CoreV1Event, type KubeConfig } from '@kubernetes/client-node';
import { Annotation, type ObjectMeta } from '@eddy/api';
import type { Logger } from '../logging/logger.ts';
import { redactUrls } from '../logging/redact.ts';
import { formatTime } from '../status/conditions.ts';
import { requestOptions } from '../client/request-options.ts';
import type { EventForwarder, FluxEvent } from './forwarder.ts';

/**
 * Event types. Normal and Warning are Kubernetes'; Trace (Flux's `eventv1.EventTypeTrace`) is
 * recorded as a Normal Kubernetes event but never forwarded to notification-controller.
 */
export const EventType = {
  /** Something went as expected; forwarded with severity `info`. */
  Normal: 'Normal',
  /** Something failed; forwarded with severity `error`. */
  Warning: 'Warning',
  /** Progress detail; a Normal Kubernetes event only. */
  Trace: 'Trace',
} as const;

/** One of {@link EventType}. */
export type EventTypeName = (typeof EventType)[keyof typeof EventType];

/** The longest message recorded; longer ones are cut (they would only bloat etcd). */
export const maxEventMessageLength = 32768;

/** The object an event is about. */
export interface InvolvedObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
}

/** Options of {@link EventRecorder}. */
export interface EventRecorderOptions {
  kubeConfig: KubeConfig;
  /** The controller's name: the Event's `source.component` and `reportingComponent`. */
  controller: string;
  /** The reporting instance (pod name); the host name by default (as Flux). */
  instance?: string;
  logger: Logger;
  /** Forwards info and error events to notification-controller; none without `--events-addr`. */
  forwarder?: EventForwarder;
  /** Repeats within this many milliseconds update one Event (default 10 min, as client-go). */
  aggregationWindowMs?: number;
  /** Distinct recent events remembered for aggregation (default 4096; the oldest are forgotten). */
  cacheSize?: number;
  /** Event writes waiting at most; beyond, new events are dropped and logged (default 1000). */
  maxPending?: number;
  /** Bound of each request, in milliseconds (default 10 s). */
  timeoutMs?: number;
  /** The clock; the system clock by default. */
  now?: () => Date;
}

/** An Event written recently, for aggregating repeats into it. */
interface Recent {
  namespace: string;
  name: string;
  count: number;
  lastSeenMs: number;
}

/** One event, built at record time. */
interface Built {
  key: string;
  time: Date;
  event: CoreV1Event;
}

function cut(message: string): string {
  const redacted = redactUrls(message);
  return redacted.length <= maxEventMessageLength ? redacted : `${redacted.slice(0, maxEventMessageLength - 1)}…`;
}

/** The API group of an apiVersion (`source.toolkit.fluxcd.io/v1` → `source.toolkit.fluxcd.io`; core → ''). */
function apiGroup(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

/**
 * The metadata of an event: the object's `event.toolkit.fluxcd.io/*` annotations (Flux's way for
 * users to add metadata to alerts), then the given metadata, which wins on a clash. A given key
 * without a `/` is prefixed with the object's API group, as Flux's controllers write them:
 * `{ revision: 'main@sha1:…' }` about a GitRepository becomes
 * `source.toolkit.fluxcd.io/revision`.
 */
export function eventMetadata(obj: InvolvedObject, metadata: Record<string, string> = {}): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj.metadata.annotations ?? {})) {
    if (k.startsWith(Annotation.EventMetadataPrefix)) meta[k] = v;
  }
  const group = apiGroup(obj.apiVersion);
  for (const [k, v] of Object.entries(metadata)) meta[k.includes('/') || !group ? k : `${group}/${k}`] = v;
  return meta;
}

/** Records events about objects (see the module comment). */
export class EventRecorder {
  private readonly core: CoreV1Api;
  private readonly controller: string;
  private readonly instance: string;
  private readonly logger: Logger;
  private readonly forwarder: EventForwarder | undefined;
  private readonly windowMs: number;
  private readonly cacheSize: number;
  private readonly maxPending: number;
  private readonly timeoutMs: number;
  private readonly now: () => Date;
  /** Recently written Events by aggregation key, oldest first (a Map keeps insertion order). */
  private readonly recent = new Map<string, Recent>();
  /** The tail of each key's write chain: writes of one key run in order, so repeats aggregate. */
  private readonly chains = new Map<string, Promise<void>>();
  private pending = 0;
  private sequence = 0;

  constructor(opts: EventRecorderOptions) {
    this.core = opts.kubeConfig.makeApiClient(CoreV1Api);
    this.controller = opts.controller;
    this.instance = opts.instance ?? hostname();
    this.logger = opts.logger.child({ component: 'event-recorder' });
    this.forwarder = opts.forwarder;
    this.windowMs = opts.aggregationWindowMs ?? 10 * 60_000;
    this.cacheSize = Math.max(1, opts.cacheSize ?? 4096);
    this.maxPending = opts.maxPending ?? 1000;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.now = opts.now ?? (() => new Date());
  }

  /**
   * Records an event about `obj`: writes (or aggregates into) a Kubernetes Event in the
   * background and forwards Normal and Warning events (not Trace). `reason` is a Flux reason
   * (`Reason` of @eddy/api); `message` has URL credentials removed; `metadata` as
   * {@link eventMetadata} (e.g. `{ revision }`). Never throws; failures are logged.
   */
  record(obj: InvolvedObject, type: EventTypeName, reason: string, message: string, metadata?: Record<string, string>): void {
    try {
      const time = this.now();
      const text = cut(message);
      const meta = eventMetadata(obj, metadata);
      const built = this.build(obj, type, reason, text, meta, time);
      if (this.forwarder && type !== EventType.Trace) this.forwarder.forward(this.fluxEvent(obj, type, reason, text, meta, time));
      this.enqueue(built);
    } catch (err) {
      this.logger.error('unable to record event', { error: err instanceof Error ? err.message : String(err), reason, name: obj.metadata.name, namespace: obj.metadata.namespace });
    }
  }

  /** Resolves when every Event write started so far has finished (for shutdown and tests). */
  async flush(): Promise<void> {
    while (this.chains.size > 0) await Promise.all(this.chains.values());
  }

  private build(obj: InvolvedObject, eventType: EventTypeName, reason: string, message: string, metadata: Record<string, string>, time: Date): Built {
    const { name, namespace, uid, resourceVersion } = obj.metadata;
    if (!name) throw new Error(`${obj.kind} has no metadata.name`);
    const type = eventType === EventType.Warning ? 'Warning' : 'Normal';
    // Events of cluster-scoped objects live in `default`, as client-go puts them.
    const eventNamespace = namespace || 'default';
    const involvedObject = { apiVersion: obj.apiVersion, kind: obj.kind, name, namespace, uid, resourceVersion };
    const key = JSON.stringify([obj.apiVersion, obj.kind, namespace ?? '', name, uid ?? '', type, reason, message]);
    const event: CoreV1Event = {
      metadata: { name: this.eventName(name, time), namespace: eventNamespace, ...(Object.keys(metadata).length > 0 ? { annotations: metadata } : {}) },
      involvedObject,
      type,
      reason,
      message,
      source: { component: this.controller },
      reportingComponent: this.controller,
      reportingInstance: this.instance,
      firstTimestamp: time,
      lastTimestamp: time,
      count: 1,
    };
    return { key, time, event };
  }

  /** `<object name>.<hex nanoseconds>`, as client-go names events (plus a sequence against clashes). */
  private eventName(objectName: string, time: Date): string {
    this.sequence = (this.sequence + 1) % 1_000_000;
    const nanos = BigInt(time.getTime()) * 1_000_000n + BigInt(this.sequence);
    return `${objectName}.${nanos.toString(16)}`;
  }

  private fluxEvent(obj: InvolvedObject, type: EventTypeName, reason: string, message: string, metadata: Record<string, string>, time: Date): FluxEvent {
    const { name = '', namespace = '', uid = '' } = obj.metadata;
    return {
      involvedObject: { apiVersion: obj.apiVersion, kind: obj.kind, name, namespace, uid },
      severity: type === EventType.Warning ? 'error' : 'info',
      timestamp: formatTime(time),
      message,
      reason,
      ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
      reportingController: this.controller,
      ...(this.instance ? { reportingInstance: this.instance } : {}),
    };
  }

  private enqueue(built: Built): void {
    if (this.pending >= this.maxPending) {
      this.logger.error('too many event writes pending, dropping event', { reason: built.event.reason, name: built.event.involvedObject.name, namespace: built.event.involvedObject.namespace });
      return;
    }
    this.pending++;
    const previous = this.chains.get(built.key) ?? Promise.resolve();
    const next: Promise<void> = previous
      .then(() => this.write(built))
      .catch((err: unknown) => {
        this.logger.error('unable to write event', {
          error: err instanceof Error ? err.message : String(err),
          reason: built.event.reason,
          name: built.event.involvedObject.name,
          namespace: built.event.involvedObject.namespace,
        });
      })
      .finally(() => {
        this.pending--;
        if (this.chains.get(built.key) === next) this.chains.delete(built.key);
      });
    this.chains.set(built.key, next);
  }

  /** Aggregates into the recent identical Event, or creates one. */
  private async write({ key, time, event }: Built): Promise<void> {
    const opts = requestOptions(AbortSignal.timeout(this.timeoutMs));
    const recent = this.recent.get(key);
    if (recent && time.getTime() - recent.lastSeenMs <= this.windowMs) {
      try {
        await this.core.patchNamespacedEvent(
          {
            name: recent.name,
            namespace: recent.namespace,
            body: [
              { op: 'replace', path: '/count', value: recent.count + 1 },
              { op: 'replace', path: '/lastTimestamp', value: formatTime(time) },
            ],
          },
          opts,
        );
        recent.count++;
        recent.lastSeenMs = time.getTime();
        this.remember(key, recent);
        return;
      } catch (err) {
        // The Event expired (the API server keeps them for an hour) or was deleted: start anew.
        if (!(err instanceof ApiException && err.code === 404)) throw err;
      }
    }
    const created = await this.core.createNamespacedEvent({ namespace: event.metadata.namespace ?? 'default', body: event }, opts);
    this.remember(key, { namespace: created.metadata.namespace ?? 'default', name: created.metadata.name ?? '', count: created.count ?? 1, lastSeenMs: time.getTime() });
  }

  /** Remembers (or refreshes) a recent Event, forgetting the least recently seen beyond the cache size. */
  private remember(key: string, recent: Recent): void {
    this.recent.delete(key);
    this.recent.set(key, recent);
    while (this.recent.size > this.cacheSize) {
      const oldest = this.recent.keys().next();
      if (oldest.done) break;
      this.recent.delete(oldest.value);
    }
  }
}
