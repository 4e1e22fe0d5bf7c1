// The runtime on the real cluster, with the test-only Widget kind: scale, backoff isolation,
// observability, reconcile requests and impersonation.
import { CoreV1Api, CustomObjectsApi, RbacAuthorizationV1Api, Watch } from '@kubernetes/client-node';
import { eventually, installWidgetCrd, kubeConfig, testEnv, testNamespace, type Widget } from '@eddy/testkit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startWidgetManager, type TestManager } from '../fixtures/widget-manager.ts';

const group = 'test.eddy.dev';
const version = 'v1';
const plural = 'widgets';

let managers: TestManager[] = [];
afterEach(async () => {
  await Promise.all(managers.map((m) => m.stop()));
  managers = [];
});

beforeAll(async () => {
  await installWidgetCrd(kubeConfig(testEnv()));
});

function objects(): CustomObjectsApi {
  return kubeConfig(testEnv()).makeApiClient(CustomObjectsApi);
}

async function createWidget(namespace: string, name: string, spec: Widget['spec'] = {}): Promise<void> {
  await objects().createNamespacedCustomObject({ group, version, plural, namespace, body: { apiVersion: `${group}/${version}`, kind: 'Widget', metadata: { name }, spec } });
}

async function readWidget(namespace: string, name: string): Promise<Widget> {
  return (await objects().getNamespacedCustomObject({ group, version, plural, namespace, name })) as Widget;
}

async function listWidgets(namespace: string): Promise<Widget[]> {
  return ((await objects().listNamespacedCustomObject({ group, version, plural, namespace })) as { items: Widget[] }).items;
}

function ready(w: Widget): { status?: string; reason?: string; message?: string } | undefined {
  return w.status?.conditions?.find((c) => c.type === 'Ready');
}

function start(namespace: string, overrides: Parameters<typeof startWidgetManager>[2] = {}): TestManager {
  const m = startWidgetManager(testEnv(), namespace, overrides);
  managers.push(m);
  return m;
}

describe('manager on the real cluster', () => {
  it('shows the progress of a long reconcile within a second, and writes a quick one’s status once', async () => {
    const ns = await testNamespace(testEnv(), 'progress');
    start(ns);
    await createWidget(ns, 'slow', { workMs: 4000 });
    const during = await eventually(
      async () => {
        const w = await readWidget(ns, 'slow');
        expect(w.status?.conditions?.find((c) => c.type === 'Reconciling')).toMatchObject({ status: 'True', message: 'working for 4000ms' });
        return w;
      },
      { timeoutMs: 10_000, description: 'progress shown' },
    );
    expect(ready(during)?.status).not.toBe('True');
    await eventually(async () => expect(ready(await readWidget(ns, 'slow'))?.status).toBe('True'), { timeoutMs: 20_000, description: 'slow Ready' });
    expect((await readWidget(ns, 'slow')).status?.conditions?.find((c) => c.type === 'Reconciling')).toBeUndefined();

    // A quick reconcile (its progress call is followed by the end well within a second) is
    // written twice in all: the finalizer, then the final status, and no progress in between.
    const modified: Widget[] = [];
    const watch = await new Watch(kubeConfig(testEnv())).watch(
      `/apis/${group}/${version}/namespaces/${ns}/${plural}`,
      { fieldSelector: 'metadata.name=quick' },
      (type, obj: Widget) => {
        if (type === 'MODIFIED') modified.push(obj);
      },
      () => undefined,
    );
    try {
      await createWidget(ns, 'quick', { workMs: 1 });
      await eventually(async () => expect(ready(modified.at(-1) ?? (await readWidget(ns, 'quick')))?.status).toBe('True'), { timeoutMs: 20_000, description: 'quick Ready' });
      expect(modified.map((w) => [w.metadata.finalizers?.length ?? 0, ready(w)?.status ?? 'none'])).toEqual([
        [1, 'none'],
        [1, 'True'],
      ]);
    } finally {
      watch.abort();
    }
  });

  it('brings 1,000 Widgets created at once to Ready, never reconciling one key in two workers at once', async () => {
    const ns = await testNamespace(testEnv(), 'scale');
    const m = start(ns, { concurrency: 8 });
    const names = Array.from({ length: 1000 }, (_, i) => `w-${String(i).padStart(4, '0')}`);
    // Create at once (in bounded parallel batches so the test client is not the bottleneck).
    for (let i = 0; i < names.length; i += 100) {
      await Promise.all(names.slice(i, i + 100).map((n) => createWidget(ns, n, { interval: '10m' })));
    }
    await eventually(
      async () => {
        const items = await listWidgets(ns);
        const notReady = items.filter((w) => ready(w)?.status !== 'True');
        if (items.length !== 1000 || notReady.length) throw new Error(`${notReady.length} of ${items.length} not Ready`);
      },
      { timeoutMs: 240_000, intervalMs: 2_000, description: '1,000 Widgets Ready' },
    );
    expect(m.reconciler.seen.overlaps).toEqual([]);
    expect([...m.reconciler.seen.concurrentPeak.values()].every((n) => n === 1)).toBe(true);
    expect(m.reconciler.seen.reconciles.size).toBe(1000);
    const sample = await readWidget(ns, 'w-0999');
    expect(sample.metadata.finalizers).toEqual(['finalizers.fluxcd.io']);
    expect(sample.status?.observedGeneration).toBe(1);
    expect(ready(sample)).toMatchObject({ status: 'True', reason: 'Succeeded', message: 'Widget reconciled' });
  }, 300_000);

  it('backs a failing object off alone while the others keep flowing', async () => {
    const ns = await testNamespace(testEnv(), 'backoff');
    const m = start(ns);
    await createWidget(ns, 'broken', { failWith: 'BoomFailed' });
    await Promise.all(Array.from({ length: 20 }, (_, i) => createWidget(ns, `ok-${i}`)));
    await eventually(async () => {
      const items = await listWidgets(ns);
      expect(items.filter((w) => w.metadata.name!.startsWith('ok-') && ready(w)?.status === 'True')).toHaveLength(20);
    }, { description: 'the 20 good Widgets Ready' });
    const broken = await eventually(async () => {
      const w = await readWidget(ns, 'broken');
      expect(w.status?.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
        ['Ready', 'False', 'BoomFailed'],
        ['Reconciling', 'True', 'ProgressingWithRetry'],
      ]);
      return w;
    }, { description: 'broken Widget Ready=False' });
    expect(ready(broken)?.message).toBe('failing as spec.failWith asks');

    // While it backs off (100ms doubling, capped at 2s), a change to a good one is picked up at once.
    const key = `${ns}/broken`;
    const startedAt = Date.now();
    const before = m.reconciler.seen.reconciles.get(key) ?? 0;
    await objects().patchNamespacedCustomObject({ group, version, plural, namespace: ns, name: 'ok-3', body: [{ op: 'add', path: '/spec/interval', value: '5m' }] });
    await eventually(async () => expect((await readWidget(ns, 'ok-3')).status?.observedGeneration).toBe(2), { timeoutMs: 5_000, description: 'ok-3 reconciled' });
    await eventually(() => expect(m.reconciler.seen.reconciles.get(key)! - before).toBeGreaterThanOrEqual(2), { timeoutMs: 10_000 });
    // Exponential backoff: far fewer retries than a tight loop would make in the same time.
    const elapsed = Date.now() - startedAt;
    const retries = m.reconciler.seen.reconciles.get(key)! - before;
    expect(retries).toBeLessThanOrEqual(Math.ceil(elapsed / 100));
    expect(m.manager.registered[0]!.queue.numRequeues(key)).toBeGreaterThanOrEqual(3);
  });

  it('serves metrics and probes, logs with Flux keys, and echoes requestedAt into lastHandledReconcileAt', async () => {
    const ns = await testNamespace(testEnv(), 'observe');
    const m = start(ns);
    await createWidget(ns, 'seen', { interval: '1h' });
    await eventually(async () => expect(ready(await readWidget(ns, 'seen'))?.status).toBe('True'));

    const token = '2026-11-23T10:00:00.000000001Z';
    await objects().patchNamespacedCustomObject({
      group, version, plural, namespace: ns, name: 'seen',
      body: [{ op: 'add', path: '/metadata/annotations', value: { 'reconcile.fluxcd.io/requestedAt': token } }],
    });
    await eventually(async () => expect((await readWidget(ns, 'seen')).status?.lastHandledReconcileAt).toBe(token), {
      description: 'lastHandledReconcileAt',
    });

    const health = await fetch(`http://${m.manager.addresses.health}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, 'ok']);
    const readyz = await fetch(`http://${m.manager.addresses.health}/readyz`);
    expect([readyz.status, await readyz.text()]).toEqual([200, 'ok']);

    const metrics = await (await fetch(`http://${m.manager.addresses.metrics}/metrics`)).text();
    const labels = `kind="Widget",name="seen",namespace="${ns}"`;
    expect(metrics).toMatch(new RegExp(`gotk_reconcile_duration_seconds_count\\{${labels}\\} [2-9]`));
    expect(metrics).toContain(`gotk_reconcile_condition{${labels},type="Ready",status="True"} 1`);
    expect(metrics).toContain(`gotk_reconcile_condition{${labels},type="Ready",status="False"} 0`);
    expect(metrics).toContain(`gotk_suspend_status{${labels}} 0`);
    expect(metrics).toMatch(/controller_runtime_reconcile_total\{controller="Widget",result="requeue_after"\} [2-9]/);
    expect(metrics).toMatch(/workqueue_adds_total\{name="widget"\} [2-9]/);
    expect(metrics).toContain('controller_runtime_max_concurrent_reconciles{controller="Widget"} 4');

    // Reconcile log lines carry the keys `flux logs` reads.
    const line = m.logs().find((l) => l['name'] === 'seen' && typeof l['reconcileID'] === 'string');
    expect(line).toBeDefined();
    expect(Object.keys(line!)).toEqual(expect.arrayContaining(['ts', 'level', 'logger', 'msg', 'controllerKind', 'name', 'namespace', 'reconcileID']));
    expect(line).toMatchObject({ logger: 'widget-controller', controllerKind: 'Widget', namespace: ns });
  });

  it('reports an impersonated reconcile forbidden by RBAC with the API server\'s message, then succeeds once allowed', async () => {
    const env = testEnv();
    const ns = await testNamespace(env, 'tenant');
    const core = kubeConfig(env).makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'tenant' } } });
    start(ns);
    await createWidget(ns, 'as-tenant', { configMapName: 'out', serviceAccountName: 'tenant' });
    const refused = await eventually(async () => {
      const c = ready(await readWidget(ns, 'as-tenant'));
      expect(c).toMatchObject({ status: 'False', reason: 'AccessDenied' });
      return c!;
    }, { description: 'Ready=False AccessDenied' });
    expect(refused.message).toContain(`configmaps "out" is forbidden: User "system:serviceaccount:${ns}:tenant" cannot`);

    await kubeConfig(env).makeApiClient(RbacAuthorizationV1Api).createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'tenant-edit' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
        subjects: [{ kind: 'ServiceAccount', name: 'tenant', namespace: ns }],
      },
    });
    await eventually(async () => expect(ready(await readWidget(ns, 'as-tenant'))?.status).toBe('True'), { timeoutMs: 30_000, description: 'allowed after RoleBinding' });
    expect((await core.readNamespacedConfigMap({ namespace: ns, name: 'out' })).data).toEqual({ widget: 'as-tenant' });
  });

  it('stalls on a StallingError without retrying, and finalizes on deletion', async () => {
    const ns = await testNamespace(testEnv(), 'stall');
    const m = start(ns);
    await createWidget(ns, 'stuck', { stallWith: 'InvalidSpec' });
    await eventually(async () => {
      const w = await readWidget(ns, 'stuck');
      expect(w.status?.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
        ['Ready', 'False', 'InvalidSpec'],
        ['Stalled', 'True', 'InvalidSpec'],
      ]);
      expect(w.status?.observedGeneration).toBe(1);
    }, { description: 'Stalled' });
    expect(m.reconciler.seen.reconciles.get(`${ns}/stuck`)).toBe(1);

    await objects().deleteNamespacedCustomObject({ group, version, plural, namespace: ns, name: 'stuck' });
    await eventually(async () => expect((await listWidgets(ns)).map((w) => w.metadata.name)).toEqual([]), { description: 'finalized and deleted' });
  });
});
