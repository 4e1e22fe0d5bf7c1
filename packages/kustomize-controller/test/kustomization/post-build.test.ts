// postBuild substitution through the reconciler: variables from a ConfigMap, a Secret and the
// inline map, defaults, the opt-out annotation, and a strict-mode failure naming the object.
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { Kustomization } from '@eddy/api';
import { eventually, kubeConfig, testEnv, testNamespace } from '@eddy/testkit';
import { describe, expect, it } from 'vitest';
import { kustomizeTestbed } from '../fixtures/kustomize-manager.ts';

const gvp = { group: 'kustomize.toolkit.fluxcd.io', version: 'v1', plural: 'kustomizations' };
const bed = kustomizeTestbed();

const kc = () => bed.kubeConfig();
const manifest = (name: string, extra = '') => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
${extra}data:
  level: \${level}
  region: \${region:=eu-central-1}
  cluster: \${cluster_name}
  token: \${token}
`;

describe('postBuild substitution', () => {
  it('substitutes variables from ConfigMaps, Secrets and the inline map, honouring the opt-out', async () => {
    const env = testEnv();
    const ns = await testNamespace(env, 'ks-subst');
    await bed.start(ns);
    const core = kubeConfig(env).makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'cluster-vars' }, data: { cluster_name: 'prod-1', level: 'debug' } } });
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'cluster-secrets' }, stringData: { token: 's3cret' } } });
    const rev = 'main@sha1:2222222222222222222222222222222222222222';
    await bed.source().publish(kc(), ns, 'repo', rev, {
      'app/settings.yaml': manifest('settings'),
      'app/raw.yaml': manifest('raw', '  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\n'),
    });
    await kubeConfig(env).makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      ...gvp,
      namespace: ns,
      body: {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'app' },
        spec: {
          interval: '1h', prune: true, path: './app', targetNamespace: ns, sourceRef: { kind: 'GitRepository', name: 'repo' },
          postBuild: {
            substitute: { level: 'info' },
            substituteFrom: [{ kind: 'ConfigMap', name: 'cluster-vars' }, { kind: 'Secret', name: 'cluster-secrets' }, { kind: 'ConfigMap', name: 'absent', optional: true }],
          },
        },
      },
    });
    await eventually(async () => {
      const k = (await kubeConfig(env).makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ ...gvp, namespace: ns, name: 'app' })) as Kustomization;
      expect(k.status?.lastAppliedRevision).toBe(rev);
    }, { timeoutMs: 60_000, description: 'applied' });
    // The inline map wins over the ConfigMap; the default fills the missing variable.
    expect((await core.readNamespacedConfigMap({ namespace: ns, name: 'settings' })).data).toEqual({ level: 'info', region: 'eu-central-1', cluster: 'prod-1', token: 's3cret' });
    expect((await core.readNamespacedConfigMap({ namespace: ns, name: 'raw' })).data).toEqual({ level: '${level}', region: '${region:=eu-central-1}', cluster: '${cluster_name}', token: '${token}' });
  });

  it('fails a variable without value or default, naming the object and variable, and applies nothing', async () => {
    const env = testEnv();
    const ns = await testNamespace(env, 'ks-subst-strict');
    await bed.start(ns);
    const rev = 'main@sha1:3333333333333333333333333333333333333333';
    await bed.source().publish(kc(), ns, 'repo', rev, { 'app/settings.yaml': manifest('settings') });
    await kubeConfig(env).makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      ...gvp,
      namespace: ns,
      body: {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'app' },
        spec: { interval: '1h', prune: true, path: './app', targetNamespace: ns, sourceRef: { kind: 'GitRepository', name: 'repo' }, postBuild: { substitute: { level: 'info' } } },
      },
    });
    const ready = await eventually(async () => {
      const k = (await kubeConfig(env).makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ ...gvp, namespace: ns, name: 'app' })) as Kustomization;
      const c = k.status?.conditions?.find((x) => x.type === 'Ready');
      expect(c).toMatchObject({ status: 'False', reason: 'BuildFailed' });
      return c!;
    }, { timeoutMs: 60_000, description: 'Ready=False BuildFailed' });
    expect(ready.message).toContain(`'ConfigMap/${ns}/settings'`);
    expect(ready.message).toContain('cluster_name');
    const names = (await kubeConfig(env).makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace: ns })).items.map((c) => c.metadata?.name);
    expect(names).not.toContain('settings');
  });
});
