/**
 * @eddy/runtime: the one reconcile runtime every Eddy controller is built on. A controller's
 * main.ts parses {@link runtimeFlags}, builds a {@link Manager} from them, registers one
 * {@link Reconciler} per kind and runs it; see docs/runtime.md.
 */
export * from './acl/cross-namespace.ts';
export * from './artifact/archive.ts';
export * from './cache/informer.ts';
export * from './client/kube-config.ts';
export * from './client/object-client.ts';
export * from './client/rate-limiter.ts';
export * from './controller/controller.ts';
export * from './controller/types.ts';
export * from './errors/errors.ts';
export * from './events/forwarder.ts';
export * from './events/recorder.ts';
export * from './flags/flag-set.ts';
export * from './flags/generated-page.ts';
export * from './flags/runtime-flags.ts';
export * from './git/auth.ts';
export * from './git/errors.ts';
export * from './git/exec.ts';
export * from './health/http-endpoint.ts';
export * from './leader/leader-election.ts';
export * from './logging/logger.ts';
export * from './logging/redact.ts';
export * from './manager/from-flags.ts';
export * from './manager/manager.ts';
export * from './manager/process.ts';
export * from './metrics/metrics.ts';
export * from './queue/rate-limiter.ts';
export * from './queue/work-queue.ts';
export * from './rbac/controller-rbac.ts';
export * from './status/conditions.ts';
export * from './status/status-patcher.ts';
export * from './util/deadline.ts';
export * from './util/map-limit.ts';
