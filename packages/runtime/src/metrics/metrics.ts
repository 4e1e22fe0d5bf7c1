/**
 * The Prometheus metrics every controller exports, under the names Flux and controller-runtime
 * use, so Flux's Grafana dashboards and alerts work unchanged:
 *
 * - `gotk_reconcile_duration_seconds{kind,name,namespace}`: reconcile duration histogram;
 * - `gotk_reconcile_condition{kind,name,namespace,type,status}`: 1 for the current status of
 *   each condition type, 0 for the others; cleared when the object is deleted;
 * - `gotk_suspend_status{kind,name,namespace}`: 1 while suspended;
 * - `controller_runtime_reconcile_total{controller,result}`, `..._errors_total`,
 *   `..._time_seconds`, `controller_runtime_active_workers`, `..._max_concurrent_reconciles`;
 * - `workqueue_*{name}`: depth, adds, retries, queue and work durations, unfinished work.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The metrics of one process, registered in their own registry. */
export interface Metrics {
  registry: Registry;
  reconcileDuration: Histogram<'kind' | 'name' | 'namespace'>;
  reconcileCondition: Gauge<'kind' | 'name' | 'namespace' | 'type' | 'status'>;
  suspendStatus: Gauge<'kind' | 'name' | 'namespace'>;
  reconcileTotal: Counter<'controller' | 'result'>;
  reconcileErrors: Counter<'controller'>;
  reconcileTime: Histogram<'controller'>;
  activeWorkers: Gauge<'controller'>;
  maxConcurrentReconciles: Gauge<'controller'>;
  workqueue: {
    depth: Gauge<'name'>;
    adds: Counter<'name'>;
    retries: Counter<'name'>;
    queueDuration: Histogram<'name'>;
    workDuration: Histogram<'name'>;
    unfinishedWork: Gauge<'name'>;
    longestRunningProcessor: Gauge<'name'>;
  };
}

const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** Creates the metrics (and Node's process metrics) in a fresh registry. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    reconcileDuration: new Histogram({
      name: 'gotk_reconcile_duration_seconds',
      help: 'The duration in seconds of a GitOps Toolkit resource reconciliation.',
      labelNames: ['kind', 'name', 'namespace'],
      buckets: durationBuckets,
      registers,
    }),
    reconcileCondition: new Gauge({
      name: 'gotk_reconcile_condition',
      help: 'The current condition status of a GitOps Toolkit resource reconciliation.',
      labelNames: ['kind', 'name', 'namespace', 'type', 'status'],
      registers,
    }),
    suspendStatus: new Gauge({
      name: 'gotk_suspend_status',
      help: 'The current suspend status of a GitOps Toolkit resource.',
      labelNames: ['kind', 'name', 'namespace'],
      registers,
    }),
    reconcileTotal: new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller.',
      labelNames: ['controller', 'result'],
      registers,
    }),
    reconcileErrors: new Counter({
      name: 'controller_runtime_reconcile_errors_total',
      help: 'Total number of reconciliation errors per controller.',
      labelNames: ['controller'],
      registers,
    }),
    reconcileTime: new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller.',
      labelNames: ['controller'],
      buckets: durationBuckets,
      registers,
    }),
    activeWorkers: new Gauge({
      name: 'controller_runtime_active_workers',
      help: 'Number of currently used workers per controller.',
      labelNames: ['controller'],
      registers,
    }),
    maxConcurrentReconciles: new Gauge({
      name: 'controller_runtime_max_concurrent_reconciles',
      help: 'Maximum number of concurrent reconciles per controller.',
      labelNames: ['controller'],
      registers,
    }),
    workqueue: {
      depth: new Gauge({ name: 'workqueue_depth', help: 'Current depth of the work queue.', labelNames: ['name'], registers }),
      adds: new Counter({ name: 'workqueue_adds_total', help: 'Total number of adds handled by the work queue.', labelNames: ['name'], registers }),
      retries: new Counter({ name: 'workqueue_retries_total', help: 'Total number of retries handled by the work queue.', labelNames: ['name'], registers }),
      queueDuration: new Histogram({
        name: 'workqueue_queue_duration_seconds',
        help: 'How long in seconds an item stays in the work queue before being requested.',
        labelNames: ['name'],
        buckets: durationBuckets,
        registers,
      }),
      workDuration: new Histogram({
        name: 'workqueue_work_duration_seconds',
        help: 'How long in seconds processing an item from the work queue takes.',
        labelNames: ['name'],
        buckets: durationBuckets,
        registers,
      }),
      unfinishedWork: new Gauge({
        name: 'workqueue_unfinished_work_seconds',
        help: 'How many seconds of work has been done that is in progress.',
        labelNames: ['name'],
        registers,
      }),
      longestRunningProcessor: new Gauge({
        name: 'workqueue_longest_running_processor_seconds',
        help: 'How many seconds the longest running processor has been running.',
        labelNames: ['name'],
        registers,
      }),
    },
  };
}
