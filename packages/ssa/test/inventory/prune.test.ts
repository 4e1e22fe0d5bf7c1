import { Annotation, Label, type ResourceRef } from '@eddy/api';
import { eventually, kubeConfig, runCommand, testEnv, testNamespace } from '@eddy/testkit';
import { KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { diff, entryFor } from '../../src/inventory/inventory.ts';
import { deleteAll, deleteStale } from '../../src/inventory/prune.ts';

const env = testEnv();
const kc = kubeConfig(env);
const objects = KubernetesObjectApi.makeApiClient(kc);
const fieldManager = 'eddy-test';
const owner = { [Label.KustomizeName]: 'apps', [Label.KustomizeNamespace]: 'flux-system' };

function configMap(namespace: string, name: string, meta: { labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[] } = {}): KubernetesObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, ...meta } } as KubernetesObject;
}

async function apply(obj: KubernetesObject): Promise<void> {
  await objects.patch(obj, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply);
}

/** Whether the ConfigMap exists (terminating counts as existing). */
async function exists(namespace: string, name: string): Promise<boolean> {
  try {
    await objects.read({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace } });
    return true;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return false;
    throw err;
  }
}

async function removeFinalizers(namespace: string, name: string): Promise<void> {
  await runCommand(env.tools.kubectl, ['--kubeconfig', env.kubeconfig, '-n', namespace, 'patch', 'configmap', name, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
}

/** A KubeConfig for an endpoint nothing listens on: every request fails with a network error. */
function brokenKubeConfig(): KubeConfig {
  const broken = new KubeConfig();
  broken.loadFromOptions({
    clusters: [{ name: 'closed', server: 'https://127.0.0.1:1', caFile: env.kube.caFile }],
    users: [{ name: 'admin', token: env.kube.admin.token }],
    contexts: [{ name: 'closed', cluster: 'closed', user: 'admin' }],
    currentContext: 'closed',
  });
  return broken;
}

describe('deleteStale', () => {
  it('deletes only stale objects that are ours, keeps prune-disabled ones and never touches the rest', async () => {
    const ns = await testNamespace(env, 'prune');
    const live = [
      configMap(ns, 'stale-ours', { labels: owner }),
      configMap(ns, 'stale-disabled-annotation', { labels: owner, annotations: { [Annotation.KustomizePrune]: 'Disabled' } }),
      configMap(ns, 'stale-disabled-label', { labels: { ...owner, [Annotation.KustomizePrune]: 'disabled' } }),
      configMap(ns, 'stale-foreign', { labels: { [Label.KustomizeName]: 'other', [Label.KustomizeNamespace]: 'flux-system' } }),
      configMap(ns, 'current-ours', { labels: owner }),
      configMap(ns, 'not-in-inventory', { labels: owner }),
    ];
    for (const obj of live) await apply(obj);

    const oldInventory: ResourceRef[] = [
      entryFor(configMap(ns, 'stale-ours')),
      entryFor(configMap(ns, 'current-ours')),
      entryFor(configMap(ns, 'stale-disabled-annotation')),
      entryFor(configMap(ns, 'stale-disabled-label')),
      entryFor(configMap(ns, 'stale-foreign')),
      entryFor(configMap(ns, 'already-gone')),
      { id: `${ns}_thing_gone.eddy.dev_Thing`, v: 'v1' },
    ];
    const newInventory = [entryFor(configMap(ns, 'current-ours'))];
    const stale = diff(oldInventory, newInventory);

    const changes = await deleteStale(kc, stale, { fieldManager, signal: AbortSignal.timeout(30_000), ownerLabels: owner });

    expect(changes).toEqual([
      { subject: `ConfigMap/${ns}/stale-ours`, action: 'deleted', entry: stale[0] },
      { subject: `ConfigMap/${ns}/stale-disabled-annotation`, action: 'skipped', reason: 'kustomize.toolkit.fluxcd.io/prune: disabled', entry: stale[1] },
      { subject: `ConfigMap/${ns}/stale-disabled-label`, action: 'skipped', reason: 'kustomize.toolkit.fluxcd.io/prune: disabled', entry: stale[2] },
      { subject: `ConfigMap/${ns}/stale-foreign`, action: 'skipped', reason: 'not owned: label kustomize.toolkit.fluxcd.io/name is not apps', entry: stale[3] },
      { subject: `ConfigMap/${ns}/already-gone`, action: 'deleted', entry: stale[4] },
      // A kind the API server does not serve has no objects left.
      { subject: `Thing/${ns}/thing`, action: 'deleted', entry: stale[5] },
    ]);
    await eventually(async () => expect(await exists(ns, 'stale-ours')).toBe(false), { description: 'stale-ours deleted' });
    for (const name of ['stale-disabled-annotation', 'stale-disabled-label', 'stale-foreign', 'current-ours', 'not-in-inventory']) {
      expect(await exists(ns, name), name).toBe(true);
    }
  });

  it('deletes a stale object regardless of labels when no owner labels are given', async () => {
    const ns = await testNamespace(env, 'prune');
    await apply(configMap(ns, 'unlabelled'));
    const stale = [entryFor(configMap(ns, 'unlabelled'))];
    const changes = await deleteStale(kc, stale, { fieldManager, signal: AbortSignal.timeout(30_000) });
    expect(changes).toEqual([{ subject: `ConfigMap/${ns}/unlabelled`, action: 'deleted', entry: stale[0] }]);
    await eventually(async () => expect(await exists(ns, 'unlabelled')).toBe(false), { description: 'unlabelled deleted' });
  });

  it('deletes nothing and reports failures when the API server cannot be reached', async () => {
    const ns = await testNamespace(env, 'prune');
    await apply(configMap(ns, 'a', { labels: owner }));
    await apply(configMap(ns, 'b', { labels: owner }));
    const stale = [entryFor(configMap(ns, 'a')), entryFor(configMap(ns, 'b'))];

    const changes = await deleteStale(brokenKubeConfig(), stale, { fieldManager, signal: AbortSignal.timeout(30_000), ownerLabels: owner, requestTimeoutMs: 5_000 });

    expect(changes.map((c) => [c.subject, c.action])).toEqual([
      [`ConfigMap/${ns}/a`, 'failed'],
      [`ConfigMap/${ns}/b`, 'failed'],
    ]);
    for (const c of changes) expect(c.reason).toMatch(/GET \/api\/v1: /);
    expect(await exists(ns, 'a')).toBe(true);
    expect(await exists(ns, 'b')).toBe(true);
  });

  it('deletes nothing and reports failures when aborted', async () => {
    const ns = await testNamespace(env, 'prune');
    await apply(configMap(ns, 'a', { labels: owner }));
    const stale = [entryFor(configMap(ns, 'a'))];
    const abort = new AbortController();
    abort.abort(new Error('new revision arrived'));

    const changes = await deleteStale(kc, stale, { fieldManager, signal: abort.signal, ownerLabels: owner });

    expect(changes).toEqual([{ subject: `ConfigMap/${ns}/a`, action: 'failed', reason: 'new revision arrived', entry: stale[0] }]);
    expect(await exists(ns, 'a')).toBe(true);
  });
});

describe('deleteAll', () => {
  it('Orphan deletes nothing, MirrorPrune without prune deletes nothing, Delete deletes', async () => {
    const ns = await testNamespace(env, 'delete-all');
    await apply(configMap(ns, 'a', { labels: owner }));
    const entries = [entryFor(configMap(ns, 'a'))];
    const opts = { fieldManager, signal: AbortSignal.timeout(30_000), ownerLabels: owner };

    expect(await deleteAll(kc, entries, { ...opts, policy: 'Orphan' })).toEqual([]);
    expect(await deleteAll(kc, entries, { ...opts, policy: 'MirrorPrune', prune: false })).toEqual([]);
    expect(await exists(ns, 'a')).toBe(true);

    expect(await deleteAll(kc, entries, { ...opts, policy: 'MirrorPrune', prune: true })).toEqual([{ subject: `ConfigMap/${ns}/a`, action: 'deleted', entry: entries[0] }]);
    await eventually(async () => expect(await exists(ns, 'a')).toBe(false), { description: 'a deleted' });

    await apply(configMap(ns, 'a', { labels: owner }));
    expect(await deleteAll(kc, entries, { ...opts, policy: 'Delete' })).toEqual([{ subject: `ConfigMap/${ns}/a`, action: 'deleted', entry: entries[0] }]);
    await eventually(async () => expect(await exists(ns, 'a')).toBe(false), { description: 'a deleted again' });
  });

  it('WaitForTermination waits for a finalizer-blocked object until its finalizer is removed', async () => {
    const ns = await testNamespace(env, 'delete-all');
    await apply(configMap(ns, 'held', { labels: owner, finalizers: ['eddy.test/hold'] }));
    await apply(configMap(ns, 'free', { labels: owner }));
    const entries = [entryFor(configMap(ns, 'held')), entryFor(configMap(ns, 'free'))];

    let settled = false;
    const deletion = deleteAll(kc, entries, { policy: 'WaitForTermination', fieldManager, signal: AbortSignal.timeout(60_000), ownerLabels: owner, timeoutMs: 45_000, intervalMs: 200 }).finally(() => {
      settled = true;
    });
    // The object is terminating, held by its finalizer, and the wait goes on.
    await eventually(
      async () => {
        const obj = await objects.read({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held', namespace: ns } });
        expect(obj.metadata?.deletionTimestamp).toBeDefined();
      },
      { description: 'held is terminating' },
    );
    expect(settled).toBe(false);

    await removeFinalizers(ns, 'held');
    expect(await deletion).toEqual([
      { subject: `ConfigMap/${ns}/held`, action: 'deleted', entry: entries[0] },
      { subject: `ConfigMap/${ns}/free`, action: 'deleted', entry: entries[1] },
    ]);
    expect(await exists(ns, 'held')).toBe(false);
  });

  it('WaitForTermination reports objects still terminating when time runs out', async () => {
    const ns = await testNamespace(env, 'delete-all');
    await apply(configMap(ns, 'held', { labels: owner, finalizers: ['eddy.test/hold'] }));
    const entries = [entryFor(configMap(ns, 'held'))];
    try {
      const changes = await deleteAll(kc, entries, { policy: 'WaitForTermination', fieldManager, signal: AbortSignal.timeout(30_000), timeoutMs: 1_000, intervalMs: 200 });
      expect(changes).toEqual([{ subject: `ConfigMap/${ns}/held`, action: 'failed', reason: 'timeout waiting for termination: still terminating', entry: entries[0] }]);
    } finally {
      await removeFinalizers(ns, 'held');
    }
  });
});
