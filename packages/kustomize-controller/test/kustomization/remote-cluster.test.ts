// spec.kubeConfig: applying to a cluster reached with a kubeconfig from a Secret. The "remote"
// cluster is the test cluster itself, reached as a ServiceAccount of the kubeconfig's own, so
// the API server's answers show which identity and cluster the controller used.
import { readFile } from 'node:fs/promises';
import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { kubeConfig, testEnv, testNamespace } from '@eddy/testkit';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { kustomizeTestbed } from '../fixtures/kustomize-manager.ts';
import { createKustomization, readyAt, readyFalse, readyMessage } from '../fixtures/kustomizations.ts';

const bed = kustomizeTestbed();
const core = () => kubeConfig(testEnv()).makeApiClient(CoreV1Api);
const configMap = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: remote-settings\ndata:\n  a: b\n';

/** A kubeconfig for the test cluster as ServiceAccount `ns/name`, with a bound token. */
async function serviceAccountKubeconfig(ns: string, name: string, opts: { insecure?: boolean } = {}): Promise<string> {
  await core().createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name } } });
  const token = await core().createNamespacedServiceAccountToken({ namespace: ns, name, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  const ca = (await readFile(testEnv().kube.caFile)).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'remote', cluster: { server: testEnv().kube.server, ...(opts.insecure ? { 'insecure-skip-tls-verify': true } : { 'certificate-authority-data': ca }) } }],
    users: [{ name: name, user: { token: token.status?.token } }],
    contexts: [{ name: 'remote', context: { cluster: 'remote', user: name } }],
    'current-context': 'remote',
  });
}

describe('Kustomization spec.kubeConfig', () => {
  it("applies as the kubeconfig's identity: forbidden until that identity may write, then Ready", async () => {
    const ns = await testNamespace(testEnv(), 'ks-remote');
    await bed.start(ns);
    const rev = 'main@sha1:1111111111111111111111111111111111111111';
    await bed.source().publish(bed.kubeConfig(), ns, 'repo', rev, { 'cm.yaml': configMap });
    await core().createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'remote-kubeconfig' }, stringData: { 'value.yaml': await serviceAccountKubeconfig(ns, 'deployer') } } });
    await createKustomization(ns, 'app', { kubeConfig: { secretRef: { name: 'remote-kubeconfig' } }, retryInterval: '2s' });

    const forbidden = await readyFalse(ns, 'app', 'ReconciliationFailed');
    expect(readyMessage(forbidden)).toContain(`User "system:serviceaccount:${ns}:deployer" cannot`);

    await kubeConfig(testEnv())
      .makeApiClient(RbacAuthorizationV1Api)
      .createNamespacedRoleBinding({
        namespace: ns,
        body: { metadata: { name: 'deployer-edit' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' }, subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace: ns }] },
      });
    await readyAt(ns, 'app', rev);
    const cm = await core().readNamespacedConfigMap({ namespace: ns, name: 'remote-settings' });
    expect(cm.metadata?.managedFields?.map((f) => f.manager)).toContain('kustomize-controller');
  });

  it('names a missing Secret, and refuses a kubeconfig that disables TLS verification', async () => {
    const ns = await testNamespace(testEnv(), 'ks-remote-bad');
    await bed.start(ns);
    await bed.source().publish(bed.kubeConfig(), ns, 'repo', 'main@sha1:2222222222222222222222222222222222222222', { 'cm.yaml': configMap });
    await createKustomization(ns, 'missing', { kubeConfig: { secretRef: { name: 'absent' } } });
    expect(readyMessage(await readyFalse(ns, 'missing', 'ReconciliationFailed'))).toBe(`the kubeconfig Secret '${ns}/absent' of spec.kubeConfig.secretRef was not found`);

    const insecure = await serviceAccountKubeconfig(ns, 'insecure', { insecure: true });
    await core().createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'insecure' }, stringData: { value: insecure } } });
    await createKustomization(ns, 'insecure', { kubeConfig: { secretRef: { name: 'insecure' } } });
    const stalled = await readyFalse(ns, 'insecure', 'InvalidKubeConfig');
    expect(readyMessage(stalled)).toBe(`the kubeconfig in Secret '${ns}/insecure' disables TLS verification, which is refused (--insecure-kubeconfig-tls=false)`);
    expect(readyMessage(stalled)).not.toContain('token');
  });
});
