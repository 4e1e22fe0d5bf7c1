// A Kustomization follows its source: it is reconciled as soon as the source publishes an
// artifact revision (not after --requeue-dependency or spec.interval), and each revision it
// applies is recorded in status.history.
import { CoreV1Api } from '@kubernetes/client-node';
import { kubeConfig, testEnv, testNamespace } from '@eddy/testkit';
import { describe, expect, it } from 'vitest';
import { kustomizeTestbed } from '../fixtures/kustomize-manager.ts';
import { createKustomization, readyAt, readyFalse, readyMessage } from '../fixtures/kustomizations.ts';

const bed = kustomizeTestbed();
const configMap = (value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  value: "${value}"\n`;

describe('Kustomization and its source', () => {
  it('applies a new artifact revision at once, and records each in status.history', async () => {
    const ns = await testNamespace(testEnv(), 'ks-source');
    // Both waits are an hour: only the source's change can wake the Kustomization in time.
    await bed.start(ns, { requeueDependencyMs: 3_600_000 });
    await createKustomization(ns, 'app', { interval: '1h' });
    const waiting = await readyFalse(ns, 'app', 'ArtifactFailed');
    expect(readyMessage(waiting)).toBe(`Source 'GitRepository/${ns}/repo' not found`);

    const rev1 = 'main@sha1:1111111111111111111111111111111111111111';
    await bed.source().publish(bed.kubeConfig(), ns, 'repo', rev1, { 'cm.yaml': configMap('one') });
    const first = await readyAt(ns, 'app', rev1, { timeoutMs: 30_000 });
    expect(first.status?.history).toEqual([expect.objectContaining({ lastReconciledStatus: 'ReconciliationSucceeded', totalReconciliations: 1, metadata: { revision: rev1 } })]);

    const rev2 = 'main@sha1:2222222222222222222222222222222222222222';
    await bed.source().publish(bed.kubeConfig(), ns, 'repo', rev2, { 'cm.yaml': configMap('two') });
    const second = await readyAt(ns, 'app', rev2, { timeoutMs: 30_000 });
    const core = kubeConfig(testEnv()).makeApiClient(CoreV1Api);
    expect((await core.readNamespacedConfigMap({ namespace: ns, name: 'settings' })).data).toEqual({ value: 'two' });
    expect(second.status?.history?.map((s) => s.metadata?.['revision'])).toEqual([rev2, rev1]);
    expect(second.status?.history?.[0]?.digest).not.toBe(second.status?.history?.[1]?.digest);
  });
});
