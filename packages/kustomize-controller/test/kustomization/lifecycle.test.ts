// A Kustomization's lifecycle: suspend and resume, and deletion with spec.deletionPolicy —
// pruning only what its inventory holds, never an object created by someone else.
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { eventually, kubeConfig, testEnv, testNamespace } from '@eddy/testkit';
import { describe, expect, it } from 'vitest';
import { kustomizeTestbed } from '../fixtures/kustomize-manager.ts';
import { createKustomization, readKustomization, readyAt } from '../fixtures/kustomizations.ts';

const bed = kustomizeTestbed();
const core = () => kubeConfig(testEnv()).makeApiClient(CoreV1Api);
const kustomizations = () => kubeConfig(testEnv()).makeApiClient(CustomObjectsApi);
const gvp = { group: 'kustomize.toolkit.fluxcd.io', version: 'v1', plural: 'kustomizations' };
const configMap = (name: string, value = 'v') => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  value: ${value}\n`;
const names = async (ns: string) => (await core().listNamespacedConfigMap({ namespace: ns })).items.map((c) => c.metadata?.name).filter((n) => n !== 'kube-root-ca.crt').sort();

async function patchSpec(ns: string, name: string, spec: Record<string, unknown>): Promise<void> {
  await kustomizations().patchNamespacedCustomObject({ ...gvp, namespace: ns, name, body: Object.entries(spec).map(([k, v]) => ({ op: 'add', path: `/spec/${k}`, value: v })) });
}

async function gone(ns: string, name: string): Promise<void> {
  await eventually(async () => expect(await kustomizations().getNamespacedCustomObject({ ...gvp, namespace: ns, name }).then(() => 'present', (e: { code?: number }) => e.code)).toBe(404), {
    timeoutMs: 60_000,
    description: `Kustomization ${name} deleted`,
  });
}

describe('Kustomization lifecycle', () => {
  it('applies nothing while suspended, and the latest revision once resumed', async () => {
    const ns = await testNamespace(testEnv(), 'ks-suspend');
    await bed.start(ns);
    const rev1 = 'main@sha1:1111111111111111111111111111111111111111';
    await bed.source().publish(bed.kubeConfig(), ns, 'repo', rev1, { 'app/cm.yaml': configMap('settings', 'one'), 'witness/cm.yaml': configMap('witness') });
    await createKustomization(ns, 'app', { path: './app' });
    // A witness on the same source: once it has applied a revision, the same event has reached the suspended one.
    await createKustomization(ns, 'witness', { path: './witness' });
    await readyAt(ns, 'app', rev1);

    await patchSpec(ns, 'app', { suspend: true });
    await eventually(async () => expect((await readKustomization(ns, 'app')).status?.observedGeneration).toBe(2), { timeoutMs: 30_000, description: 'suspension observed' });
    const rev2 = 'main@sha1:2222222222222222222222222222222222222222';
    await bed.source().publish(bed.kubeConfig(), ns, 'repo', rev2, { 'app/cm.yaml': configMap('settings', 'two'), 'witness/cm.yaml': configMap('witness') });
    await readyAt(ns, 'witness', rev2);
    expect((await readKustomization(ns, 'app')).status?.lastAttemptedRevision).toBe(rev1);
    expect((await core().readNamespacedConfigMap({ namespace: ns, name: 'settings' })).data).toEqual({ value: 'one' });

    await patchSpec(ns, 'app', { suspend: false });
    await readyAt(ns, 'app', rev2);
    expect((await core().readNamespacedConfigMap({ namespace: ns, name: 'settings' })).data).toEqual({ value: 'two' });
  });

  it('deletes its inventory when deleted (MirrorPrune), never an object it did not apply, and orphans with deletionPolicy Orphan', async () => {
    const ns = await testNamespace(testEnv(), 'ks-delete');
    await bed.start(ns);
    const rev = 'main@sha1:3333333333333333333333333333333333333333';
    await bed.source().publish(bed.kubeConfig(), ns, 'repo', rev, { 'pruned/cm.yaml': configMap('pruned'), 'orphaned/cm.yaml': configMap('orphaned') });
    // Created by hand, with the labels the Kustomization stamps: not in its inventory, so never deleted.
    await core().createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'by-hand', labels: { 'kustomize.toolkit.fluxcd.io/name': 'pruning', 'kustomize.toolkit.fluxcd.io/namespace': ns } } },
    });
    await createKustomization(ns, 'pruning', { path: './pruned' });
    await createKustomization(ns, 'orphaning', { path: './orphaned', deletionPolicy: 'Orphan' });
    await readyAt(ns, 'pruning', rev);
    await readyAt(ns, 'orphaning', rev);
    expect((await readKustomization(ns, 'pruning')).metadata.finalizers).toEqual(['finalizers.fluxcd.io']);
    expect(await names(ns)).toEqual(['by-hand', 'orphaned', 'pruned']);

    await kustomizations().deleteNamespacedCustomObject({ ...gvp, namespace: ns, name: 'pruning' });
    await kustomizations().deleteNamespacedCustomObject({ ...gvp, namespace: ns, name: 'orphaning' });
    await gone(ns, 'pruning');
    await gone(ns, 'orphaning');
    expect(await names(ns)).toEqual(['by-hand', 'orphaned']);
  });
});
