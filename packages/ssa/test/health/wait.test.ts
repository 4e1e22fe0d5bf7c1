import { Reason } from '@eddy/api';
import { installWidgetCrd, kubeConfig, runCommand, testEnv, testNamespace, widgetApiVersion } from '@eddy/testkit';
import { KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { HealthCheckError, checkHealth, waitForSet } from '../../src/health/wait.ts';
import { refOf, type ObjectRef } from '../../src/inventory/inventory.ts';

const env = testEnv();
const kc = kubeConfig(env);
const objects = KubernetesObjectApi.makeApiClient(kc);

async function apply(obj: Record<string, unknown>): Promise<ObjectRef> {
  await objects.patch(obj as unknown as KubernetesObject, undefined, undefined, 'eddy-test', true, PatchStrategy.ServerSideApply);
  return refOf(obj);
}

function deployment(namespace: string, name: string, spec: Record<string, unknown> = {}, podSpec: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }], ...podSpec } },
      ...spec,
    },
  };
}

/** Creates a Widget and sets its status through the status subresource, as its controller would. */
async function widget(namespace: string, name: string, conditions: { type: string; status: string; reason: string; message: string }[]): Promise<ObjectRef> {
  const ref = await apply({ apiVersion: widgetApiVersion, kind: 'Widget', metadata: { name, namespace }, spec: {} });
  const status = { observedGeneration: 1, conditions: conditions.map((c) => ({ ...c, lastTransitionTime: '2026-01-01T00:00:00Z' })) };
  await runCommand(env.tools.kubectl, ['--kubeconfig', env.kubeconfig, '-n', namespace, 'patch', 'widgets.test.eddy.dev', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })], {
    timeoutMs: 30_000,
  });
  return ref;
}

/** The error `fn` rejects with; fails when it resolves. */
async function rejection(fn: () => Promise<unknown>): Promise<HealthCheckError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HealthCheckError);
    return err as HealthCheckError;
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  await installWidgetCrd(kc);
});

describe('waitForSet', () => {
  it('waits until a Deployment on kwok Nodes is Current', async () => {
    const ns = await testNamespace(env, 'wait');
    const ref = await apply(deployment(ns, 'web'));
    const results = await waitForSet(kc, [ref], { timeoutMs: 90_000, intervalMs: 500, signal: AbortSignal.timeout(100_000) });
    expect(results).toEqual([{ ref, subject: `Deployment/${ns}/web`, status: 'Current', message: 'Deployment is available. Replicas: 1' }]);
  });

  it('fails fast when a Deployment exceeds its progress deadline', async () => {
    const ns = await testNamespace(env, 'wait');
    // No Node matches, so the rollout cannot progress and the 1 s deadline passes.
    const ref = await apply(deployment(ns, 'web', { progressDeadlineSeconds: 1 }, { nodeSelector: { 'eddy.test/no-such-node': 'true' } }));
    const started = Date.now();
    const err = await rejection(() => waitForSet(kc, [ref], { timeoutMs: 90_000, intervalMs: 500, signal: AbortSignal.timeout(100_000) }));
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(err.reason).toBe(Reason.HealthCheckFailed);
    expect(err.message).toBe(`Deployment/${ns}/web: Progress deadline exceeded`);
    expect(err.results).toEqual([{ ref, subject: `Deployment/${ns}/web`, status: 'Failed', message: 'Progress deadline exceeded' }]);
  });

  it('is Current for a Widget with Ready=True and Failed fast for one with Stalled=True', async () => {
    const ns = await testNamespace(env, 'wait');
    const ready = await widget(ns, 'ready', [{ type: 'Ready', status: 'True', reason: 'Succeeded', message: 'done' }]);
    const stalled = await widget(ns, 'stalled', [
      { type: 'Ready', status: 'False', reason: 'InvalidSpec', message: 'spec is invalid' },
      { type: 'Stalled', status: 'True', reason: 'InvalidSpec', message: 'spec.interval is invalid' },
    ]);
    const signal = AbortSignal.timeout(60_000);

    expect(await waitForSet(kc, [ready], { timeoutMs: 30_000, intervalMs: 200, signal })).toEqual([{ ref: ready, subject: `Widget/${ns}/ready`, status: 'Current', message: 'Resource is Ready' }]);

    const err = await rejection(() => waitForSet(kc, [ready, stalled], { timeoutMs: 30_000, intervalMs: 200, signal }));
    expect(err.message).toBe(`Widget/${ns}/stalled: spec.interval is invalid`);
    expect(err.results.map((r) => [r.subject, r.status])).toEqual([
      [`Widget/${ns}/ready`, 'Current'],
      [`Widget/${ns}/stalled`, 'Failed'],
    ]);
  });

  it('times out listing the objects not ready, with status and message', async () => {
    const ns = await testNamespace(env, 'wait');
    const ready = await widget(ns, 'ready', [{ type: 'Ready', status: 'True', reason: 'Succeeded', message: 'done' }]);
    const pending = await widget(ns, 'pending', [{ type: 'Ready', status: 'False', reason: 'DependencyNotReady', message: 'dependency not ready' }]);
    const missing: ObjectRef = { group: '', version: 'v1', kind: 'ConfigMap', namespace: ns, name: 'missing' };

    const err = await rejection(() => waitForSet(kc, [ready, pending, missing], { timeoutMs: 1_500, intervalMs: 200, signal: AbortSignal.timeout(30_000) }));
    expect(err.reason).toBe(Reason.HealthCheckFailed);
    expect(err.message).toBe(`timeout waiting for: [Widget/${ns}/pending status: 'InProgress': dependency not ready, ConfigMap/${ns}/missing status: 'NotFound': Resource not found]`);
  });

  it('starts from the objects in hand: a known Current object is not read, a known pending one is read again', async () => {
    const ns = await testNamespace(env, 'wait');
    // Never created: only the object in hand can make it Current.
    const inHand: ObjectRef = { group: '', version: 'v1', kind: 'ConfigMap', namespace: ns, name: 'in-hand' };
    const pending = await widget(ns, 'pending', [{ type: 'Ready', status: 'True', reason: 'Succeeded', message: 'done' }]);
    const known = new Map<string, Record<string, unknown>>([
      [`ConfigMap/${ns}/in-hand`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'in-hand', namespace: ns }, data: {} }],
      // As an apply answered before the Widget's controller had reported: it is read again, and is Ready by then.
      [`Widget/${ns}/pending`, { apiVersion: widgetApiVersion, kind: 'Widget', metadata: { name: 'pending', namespace: ns, generation: 1 }, status: { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'False', reason: 'Progressing', message: 'working' }] } }],
    ]);
    const results = await waitForSet(kc, [inHand, pending], { timeoutMs: 10_000, intervalMs: 200, known, signal: AbortSignal.timeout(30_000) });
    expect(results.map((r) => [r.subject, r.status])).toEqual([
      [`ConfigMap/${ns}/in-hand`, 'Current'],
      [`Widget/${ns}/pending`, 'Current'],
    ]);
  });

  it('stops with HealthCheckCanceled when the signal aborts', async () => {
    const ns = await testNamespace(env, 'wait');
    const pending = await widget(ns, 'pending', [{ type: 'Ready', status: 'False', reason: 'Progressing', message: 'working' }]);
    const abort = new AbortController();
    const waiting = rejection(() => waitForSet(kc, [pending], { timeoutMs: 60_000, intervalMs: 200, signal: abort.signal }));
    abort.abort(new Error('new revision'));
    const err = await waiting;
    expect(err.reason).toBe(Reason.HealthCheckCanceled);
    expect(err.message).toBe('health check canceled');
  });
});

describe('checkHealth', () => {
  it('reports each object once: Current, InProgress, NotFound', async () => {
    const ns = await testNamespace(env, 'health');
    const cm = await apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: ns } });
    const pending = await widget(ns, 'pending', [{ type: 'Reconciling', status: 'True', reason: 'Progressing', message: 'Building manifests' }]);
    const missing: ObjectRef = { group: 'apps', version: 'v1', kind: 'Deployment', namespace: ns, name: 'missing' };
    const nsRef: ObjectRef = { group: '', version: 'v1', kind: 'Namespace', namespace: '', name: ns };

    expect(await checkHealth(kc, [cm, pending, missing, nsRef], { signal: AbortSignal.timeout(30_000) })).toEqual([
      { ref: cm, subject: `ConfigMap/${ns}/settings`, status: 'Current', message: 'Resource is always ready' },
      { ref: pending, subject: `Widget/${ns}/pending`, status: 'InProgress', message: 'Building manifests' },
      { ref: missing, subject: `Deployment/${ns}/missing`, status: 'NotFound', message: 'Resource not found' },
      { ref: nsRef, subject: `Namespace/${ns}`, status: 'Current', message: 'Namespace is active' },
    ]);
  });
});
