/**
 * The manager: what a controller process is. It owns the shared informers, the controllers,
 * leader election, the status patcher, the event recorder, metrics and probes, and graceful
 * shutdown. A controller's `main.ts` parses flags, builds a Manager, registers reconcilers and
 * calls `run()`.
 *
 * Start-up: metrics and probe servers, then informers (readyz turns green once they have
 * synced), then leader election when enabled; the controllers' workers start only while this
 * process leads. Shutdown (`stop()`, e.g. on SIGTERM): stop taking work, let in-flight
 * reconciles finish within the deadline, release the Lease, stop informers and servers.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import { Informer } from '../cache/informer.ts';
import { Controller } from '../controller/controller.ts';
import type { KindRef, ReconciledObject, Reconciler } from '../controller/types.ts';
import { EventForwarder } from '../events/forwarder.ts';
import { EventRecorder } from '../events/recorder.ts';
import { MetricsServer, ProbeServer } from '../health/http-endpoint.ts';
import { LeaderElector, leaderElectionIdentity } from '../leader/leader-election.ts';
import type { Logger } from '../logging/logger.ts';
import { createMetrics, type Metrics } from '../metrics/metrics.ts';
import { StatusPatcher } from '../status/status-patcher.ts';

/** Everything a manager is configured with (main.ts maps the flags onto this). */
export interface ManagerOptions {
  /** The controller process' name, e.g. `source-controller`. */
  controllerName: string;
  kubeConfig: KubeConfig;
  logger: Logger;
  /** Namespace the controller runs in (Lease; the only watched one unless watchAllNamespaces). */
  runtimeNamespace: string;
  watchAllNamespaces: boolean;
  /** `--watch-label-selector`: the shard of objects this process reconciles. */
  watchLabelSelector: string;
  concurrency: number;
  retry: { baseDelayMs: number; maxDelayMs: number };
  intervalJitterPercent: number;
  metricsAddr: string;
  healthAddr: string;
  /** `--events-addr`: where events are forwarded (notification-controller); empty for none. */
  eventsAddr: string;
  leaderElection?: {
    leaseDurationMs: number;
    renewDeadlineMs: number;
    retryPeriodMs: number;
    releaseOnCancel: boolean;
  };
  /** How long in-flight reconciles may take to finish at shutdown. */
  shutdownDeadlineMs?: number;
  /** Unique identity of this process (leader election, event reportingInstance). */
  identity?: string;
}

/** The Lease name: `<controller>-leader-election`, plus a hash of the shard selector so shards don't share one. */
export function leaseName(controllerName: string, watchLabelSelector: string): string {
  const base = `${controllerName}-leader-election`;
  if (!watchLabelSelector) return base;
  return `${base}-${createHash('sha256').update(watchLabelSelector).digest('hex').slice(0, 8)}`;
}

/** A controller process; see the module comment. */
export class Manager {
  readonly metrics: Metrics;
  readonly identity: string;
  readonly probes = new ProbeServer();
  private readonly opts: ManagerOptions;
  private readonly informers = new Map<string, Informer<ReconciledObject>>();
  private readonly controllers: Controller<ReconciledObject>[] = [];
  private readonly metricsServer: MetricsServer;
  private readonly statusPatcher: StatusPatcher;
  private readonly forwarder: EventForwarder | undefined;
  private readonly recorder: EventRecorder;
  private readonly stopping = new AbortController();
  private elector: LeaderElector | undefined;
  private electorRun: Promise<void> | undefined;
  private leading = false;
  private lost: ((err: Error) => void) | undefined;
  /** Where the servers listen once started (ports resolved). */
  addresses = { metrics: '', health: '' };

  constructor(opts: ManagerOptions) {
    this.opts = opts;
    this.identity = opts.identity ?? leaderElectionIdentity(hostname());
    this.metrics = createMetrics();
    this.metricsServer = new MetricsServer(this.metrics.registry);
    this.statusPatcher = new StatusPatcher({ kubeConfig: opts.kubeConfig, controller: opts.controllerName });
    this.forwarder = opts.eventsAddr
      ? new EventForwarder({ address: opts.eventsAddr, logger: opts.logger })
      : undefined;
    this.recorder = new EventRecorder({
      kubeConfig: opts.kubeConfig,
      controller: opts.controllerName,
      instance: this.identity,
      logger: opts.logger,
      forwarder: this.forwarder,
    });
    this.probes.liveness.set('ping', () => undefined);
    // Ready once every cache has synced, and only while every watch is working.
    this.probes.readiness.set('informers', () => {
      const notSynced = [...this.informers.entries()].filter(([, i]) => !i.hasSynced).map(([k]) => k);
      const broken = [...this.informers.entries()].filter(([, i]) => i.hasSynced && !i.healthy).map(([k]) => k);
      const problems = [...(notSynced.length ? [`not synced: ${notSynced.join(', ')}`] : []), ...(broken.length ? [`watch failing: ${broken.join(', ')}`] : [])];
      return problems.length ? problems.join('; ') : undefined;
    });
  }

  /**
   * The shared informer of a kind (one per kind per process), watching the namespaces and shard
   * this process is configured for. `shard: false` watches every object (e.g. Secrets a
   * reconciler reads are not labelled with the shard key).
   */
  informer<T extends ReconciledObject>(kind: KindRef, opts: { shard?: boolean } = {}): Informer<T> {
    const shard = opts.shard ?? true;
    const key = `${kind.apiVersion}/${kind.kind}${shard ? '' : ' (all shards)'}`;
    let informer = this.informers.get(key);
    if (!informer) {
      informer = new Informer<ReconciledObject>({
        kubeConfig: this.opts.kubeConfig,
        apiVersion: kind.apiVersion,
        kind: kind.kind,
        plural: kind.plural,
        namespace: this.opts.watchAllNamespaces ? undefined : this.opts.runtimeNamespace,
        labelSelector: shard && this.opts.watchLabelSelector ? this.opts.watchLabelSelector : undefined,
        logger: this.opts.logger.child({ informer: key }),
      });
      this.informers.set(key, informer);
    }
    return informer as unknown as Informer<T>;
  }

  /** Registers a reconciler for a kind; its controller starts with the manager. */
  addController<T extends ReconciledObject>(kind: KindRef, reconciler: Reconciler<T>, opts: { concurrency?: number } = {}): Controller<T> {
    const controller = new Controller<T>({
      controllerName: this.opts.controllerName,
      kind,
      informer: this.informer<T>(kind),
      reconciler,
      concurrency: opts.concurrency ?? this.opts.concurrency,
      kubeConfig: this.opts.kubeConfig,
      logger: this.opts.logger,
      metrics: this.metrics,
      statusPatcher: this.statusPatcher,
      recorder: this.recorder,
      retry: this.opts.retry,
      intervalJitterPercent: this.opts.intervalJitterPercent,
    });
    this.controllers.push(controller as unknown as Controller<ReconciledObject>);
    return controller;
  }

  /**
   * Runs until `stop()` (resolves) or until leadership is lost (rejects: the process must
   * exit, another replica may already be reconciling).
   */
  async run(): Promise<void> {
    const log = this.opts.logger;
    this.addresses.metrics = await this.metricsServer.start(this.opts.metricsAddr);
    this.addresses.health = await this.probes.start(this.opts.healthAddr);
    log.info('starting manager', { metricsAddr: this.addresses.metrics, healthAddr: this.addresses.health, identity: this.identity });
    for (const informer of this.informers.values()) informer.start();
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync(this.stopping.signal)));
    if (this.stopping.signal.aborted) return;
    log.info('caches synced', { informers: this.informers.size });

    const lostLeadership = new Promise<never>((_, reject) => {
      this.lost = reject;
    });
    lostLeadership.catch(() => undefined);
    if (this.opts.leaderElection) {
      const le = this.opts.leaderElection;
      this.elector = new LeaderElector({
        kubeConfig: this.opts.kubeConfig,
        namespace: this.opts.runtimeNamespace,
        name: leaseName(this.opts.controllerName, this.opts.watchLabelSelector),
        identity: this.identity,
        leaseDurationMs: le.leaseDurationMs,
        renewDeadlineMs: le.renewDeadlineMs,
        retryPeriodMs: le.retryPeriodMs,
        releaseOnCancel: le.releaseOnCancel,
        logger: log,
        onStartedLeading: () => this.startControllers(),
        onStoppedLeading: () => {
          if (this.stopping.signal.aborted) return;
          log.error('leader election lost; exiting', { identity: this.identity });
          this.lost?.(new Error('leader election lost'));
        },
      });
      this.electorRun = this.elector.run(this.stopping.signal);
    } else {
      this.startControllers();
    }
    const stopped = new Promise<void>((resolve) => this.stopping.signal.addEventListener('abort', () => resolve(), { once: true }));
    await Promise.race([stopped, lostLeadership]);
  }

  /** Whether this process is reconciling (leading, or without leader election). */
  get isLeading(): boolean {
    return this.leading;
  }

  /** The controllers, for tests and diagnostics. */
  get registered(): readonly Controller<ReconciledObject>[] {
    return this.controllers;
  }

  private startControllers(): void {
    if (this.leading || this.stopping.signal.aborted) return;
    this.leading = true;
    for (const c of this.controllers) c.start();
    this.opts.logger.info('controllers started', { controllers: this.controllers.length });
  }

  /** Graceful shutdown; see the module comment. Safe to call more than once. */
  async stop(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    const log = this.opts.logger;
    log.info('shutting down: no new work; waiting for in-flight reconciles');
    const deadline = this.opts.shutdownDeadlineMs ?? 30_000;
    // Controllers first, while we still hold the Lease: no other replica starts while we finish.
    await Promise.all(this.controllers.map((c) => c.stop(deadline)));
    this.stopping.abort();
    await this.electorRun?.catch((err: unknown) => log.error('leader election ended with an error', { error: err }));
    for (const informer of this.informers.values()) informer.stop();
    await this.forwarder?.flush();
    await Promise.all([this.metricsServer.stop(), this.probes.stop()]);
    log.info('shutdown complete');
  }
}
