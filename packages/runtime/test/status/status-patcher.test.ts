import { Annotation, ConditionType, Finalizer, Reason, type Condition, type ObjectMeta } from '@eddy/api';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { eventually, installWidgetCrd, kubeConfig, testEnv, testNamespace } from '@eddy/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { markProgressing, markStalled, markSucceeded, markFalse, type ConditionOptions } from '../../src/status/conditions.ts';
import type { ApiObject } from '../../src/client/object-client.ts';
import { addFinalizer, finalizeStatus, removeFinalizer, StatusPatcher, type FinalizableObject, type ReconcileStatus } from '../../src/status/status-patcher.ts';

const t0 = '2025-01-01T00:00:00Z';
const t1 = '2025-01-01T00:05:00Z';
const clock: ConditionOptions = { now: () => new Date(t1) };

function cond(type: string, status: Condition['status'], reason: string, message: string, lastTransitionTime: string, observedGeneration = 4): Condition {
  return { type, status, reason, message, lastTransitionTime, observedGeneration };
}

describe('finalizeStatus', () => {
  interface Case {
    name: string;
    annotations?: Record<string, string>;
    status: ReconcileStatus;
    opts?: { reconcileRequestedAt?: string };
    want: ReconcileStatus;
  }
  const cases: Case[] = [
    {
      name: 'success: removes Reconciling, sets observedGeneration and lastHandledReconcileAt',
      annotations: { [Annotation.ReconcileRequestedAt]: 'token-2' },
      status: { observedGeneration: 3, lastHandledReconcileAt: 'token-1', conditions: [cond('Ready', 'True', 'Succeeded', 'ok', t0), cond('Reconciling', 'True', 'Progressing', 'p', t0)] },
      want: { observedGeneration: 4, lastHandledReconcileAt: 'token-2', conditions: [cond('Ready', 'True', 'Succeeded', 'ok', t0)] },
    },
    {
      name: 'stalled: sets observedGeneration, keeps Stalled',
      status: { observedGeneration: 3, conditions: [cond('Ready', 'False', 'URLInvalid', 'bad', t0), cond('Stalled', 'True', 'URLInvalid', 'bad', t0)] },
      want: { observedGeneration: 4, conditions: [cond('Ready', 'False', 'URLInvalid', 'bad', t0), cond('Stalled', 'True', 'URLInvalid', 'bad', t0)] },
    },
    {
      name: 'failure: Reconciling becomes ProgressingWithRetry (transition time kept), observedGeneration stays',
      annotations: { [Annotation.ReconcileRequestedAt]: 'token-3' },
      status: { observedGeneration: 3, conditions: [cond('Ready', 'False', 'BuildFailed', 'x', t0), cond('Reconciling', 'True', 'Progressing', 'building', t0, 3)] },
      want: {
        observedGeneration: 3,
        lastHandledReconcileAt: 'token-3',
        conditions: [cond('Ready', 'False', 'BuildFailed', 'x', t0), cond('Reconciling', 'True', 'ProgressingWithRetry', 'building', t0)],
      },
    },
    {
      name: 'failure without Reconciling: nothing but the request token',
      status: { conditions: [cond('Ready', 'False', 'BuildFailed', 'x', t0)] },
      opts: { reconcileRequestedAt: 'given' },
      want: { lastHandledReconcileAt: 'given', conditions: [cond('Ready', 'False', 'BuildFailed', 'x', t0)] },
    },
    {
      name: 'no annotation: lastHandledReconcileAt untouched',
      status: { lastHandledReconcileAt: 'old', conditions: [cond('Ready', 'Unknown', 'Progressing', 'p', t0)] },
      want: { lastHandledReconcileAt: 'old', conditions: [cond('Ready', 'Unknown', 'Progressing', 'p', t0)] },
    },
  ];
  it.each(cases)('$name', ({ annotations, status, opts, want }) => {
    const obj: FinalizableObject = { metadata: { generation: 4, ...(annotations ? { annotations } : {}) }, status: structuredClone(status) };
    finalizeStatus(obj, { ...opts, ...clock });
    expect(obj.status).toEqual(want);
  });
});

/** A Widget (testkit's test kind) with the status fields every Flux object has. */
interface FluxWidget {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: Record<string, unknown>;
  status?: ReconcileStatus;
}

const controller = 'test-controller';
const fieldManager = `gotk-${controller}`;

describe('StatusPatcher and finalizers on the cluster', () => {
  let kc: KubeConfig;
  let custom: CustomObjectsApi;

  beforeAll(async () => {
    kc = kubeConfig(testEnv());
    custom = kc.makeApiClient(CustomObjectsApi);
    await installWidgetCrd(kc);
  });

  async function createWidget(namespace: string, name: string, annotations?: Record<string, string>): Promise<FluxWidget> {
    const body: FluxWidget = { apiVersion: 'test.eddy.dev/v1', kind: 'Widget', metadata: { name, namespace, ...(annotations ? { annotations } : {}) }, spec: { interval: '1m' } };
    return (await custom.createNamespacedCustomObject({ group: 'test.eddy.dev', version: 'v1', namespace, plural: 'widgets', body })) as FluxWidget;
  }

  async function readWidget(namespace: string, name: string): Promise<FluxWidget & ApiObject> {
    return (await custom.getNamespacedCustomObject({ group: 'test.eddy.dev', version: 'v1', namespace, plural: 'widgets', name })) as FluxWidget & ApiObject;
  }

  it('applies status to the status subresource as gotk-<controller>', async () => {
    const ns = await testNamespace(testEnv(), 'status');
    const w = await createWidget(ns, 'w1');
    markProgressing(w, 'reconciliation in progress', clock);
    const patcher = new StatusPatcher({ kubeConfig: kc, controller });
    expect(patcher.fieldManager).toBe(fieldManager);
    await patcher.patch(w);
    markSucceeded(w, Reason.Succeeded, 'done', clock);
    finalizeStatus(w);
    const written = await patcher.patch(w);
    expect(patcher.inFlight).toBe(0);

    const got = await readWidget(ns, 'w1');
    expect(got.status).toEqual({ observedGeneration: 1, conditions: [cond('Ready', 'True', 'Succeeded', 'done', t1, 1)] });
    expect(written.metadata.resourceVersion).toBe(got.metadata.resourceVersion);
    const managers = (got.metadata.managedFields ?? []).map((m) => ({ manager: m.manager, operation: m.operation, subresource: m.subresource }));
    expect(managers).toContainEqual({ manager: fieldManager, operation: 'Apply', subresource: 'status' });
  });

  it('serializes concurrent patches of one object and ends with the last', async () => {
    const ns = await testNamespace(testEnv(), 'status');
    const w = await createWidget(ns, 'w2');
    const patcher = new StatusPatcher({ kubeConfig: kc, controller });
    const writes: Promise<ApiObject>[] = [];
    for (let i = 1; i <= 10; i++) {
      markFalse(w, ConditionType.Ready, Reason.Failed, `attempt ${i}`, clock);
      writes.push(patcher.patch(w));
    }
    expect(patcher.inFlight).toBe(1);
    const results = await Promise.all(writes);
    // The first went out at once; the second to ninth were superseded by the tenth while the
    // first was in flight, so their callers got the tenth's result.
    const versions = new Set(results.slice(1).map((r) => r.metadata.resourceVersion));
    expect(versions.size).toBe(1);
    expect(results[0]?.metadata.resourceVersion).not.toBe(results[9]?.metadata.resourceVersion);
    const got = await readWidget(ns, 'w2');
    expect(got.status?.conditions).toEqual([cond('Ready', 'False', 'Failed', 'attempt 10', t1, 1)]);
    expect(patcher.inFlight).toBe(0);
  });

  it('echoes the reconcile request annotation into lastHandledReconcileAt', async () => {
    const ns = await testNamespace(testEnv(), 'status');
    await createWidget(ns, 'w3', { [Annotation.ReconcileRequestedAt]: '2025-01-01T10:00:00.000000000Z' });
    const w = await readWidget(ns, 'w3');
    markStalled(w, Reason.InvalidCELExpression, 'bad expression', clock);
    finalizeStatus(w);
    await new StatusPatcher({ kubeConfig: kc, controller }).patch(w);
    const got = await readWidget(ns, 'w3');
    expect(got.status).toEqual({
      observedGeneration: 1,
      lastHandledReconcileAt: '2025-01-01T10:00:00.000000000Z',
      conditions: [cond('Ready', 'False', 'InvalidCELExpression', 'bad expression', t1, 1), cond('Stalled', 'True', 'InvalidCELExpression', 'bad expression', t1, 1)],
    });
  });

  it('rejects a patch of an object that does not exist', async () => {
    const ns = await testNamespace(testEnv(), 'status');
    const patcher = new StatusPatcher({ kubeConfig: kc, controller });
    await expect(patcher.patch({ apiVersion: 'test.eddy.dev/v1', kind: 'Widget', metadata: { name: 'absent', namespace: ns }, status: {} })).rejects.toMatchObject({ code: 404 });
    expect(patcher.inFlight).toBe(0);
  });

  it('adds and removes the finalizer idempotently, never dropping another one', async () => {
    const ns = await testNamespace(testEnv(), 'status');
    const w = await createWidget(ns, 'w4');
    const stale = structuredClone(w);

    expect(await addFinalizer(kc, w, controller)).toBe(true);
    expect(w.metadata.finalizers).toEqual([Finalizer]);
    expect(await addFinalizer(kc, w, controller)).toBe(false);
    let got = await readWidget(ns, 'w4');
    expect(got.metadata.finalizers).toEqual([Finalizer]);
    expect(got.metadata.managedFields?.map((m) => m.manager)).toContain(fieldManager);

    // Someone else adds a finalizer; an edit from a stale copy conflicts, re-reads and keeps it.
    await custom.patchNamespacedCustomObject({
      group: 'test.eddy.dev',
      version: 'v1',
      namespace: ns,
      plural: 'widgets',
      name: 'w4',
      body: [{ op: 'add', path: '/metadata/finalizers/-', value: 'example.com/other' }],
    });
    expect(await addFinalizer(kc, stale, controller)).toBe(false);
    expect(stale.metadata.finalizers).toEqual([Finalizer, 'example.com/other']);

    expect(await removeFinalizer(kc, w, controller)).toBe(true);
    expect(w.metadata.finalizers).toEqual(['example.com/other']);
    expect(await removeFinalizer(kc, w, controller)).toBe(false);
    got = await readWidget(ns, 'w4');
    expect(got.metadata.finalizers).toEqual(['example.com/other']);

    // Let the namespace go.
    expect(await removeFinalizer(kc, w, controller, { finalizer: 'example.com/other' })).toBe(true);
    got = await readWidget(ns, 'w4');
    expect(got.metadata.finalizers).toBeUndefined();
  });

  it('removing the finalizer of an object in deletion lets it go; again is a no-op', async () => {
    const ns = await testNamespace(testEnv(), 'status');
    const w = await createWidget(ns, 'w5');
    await addFinalizer(kc, w, controller);
    await custom.deleteNamespacedCustomObject({ group: 'test.eddy.dev', version: 'v1', namespace: ns, plural: 'widgets', name: 'w5' });
    const deleting = await readWidget(ns, 'w5');
    expect(deleting.metadata.deletionTimestamp).toBeDefined();
    const stale = structuredClone(deleting);

    expect(await removeFinalizer(kc, deleting, controller)).toBe(true);
    await eventually(
      async () => {
        await expect(readWidget(ns, 'w5')).rejects.toMatchObject({ code: 404 });
      },
      { timeoutMs: 10_000, description: 'the widget is gone' },
    );
    expect(await removeFinalizer(kc, stale, controller)).toBe(false);
  });
});
