// postBuild substitution through the reconciler: variables from a ConfigMap, a Secret and the
// inline map, defaults, the opt-out annotation, and a strict-mode failure naming the object.
import { CoreV1Api } from '@kubernetes/client-node';
import { kubeConfig, testEnv, testNamespace } from '@eddy/testkit';
import { describe, expect, it } from 'vitest';
import { kustomizeTestbed } from '../fixtures/kustomize-manager.ts';
import { createKustomization as create, readyAt, readyFalse, readyMessage } from '../fixtures/kustomizations.ts';

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
    await create(ns, 'app', {
      path: './app',
      postBuild: {
        substitute: { level: 'info' },
        substituteFrom: [{ kind: 'ConfigMap', name: 'cluster-vars' }, { kind: 'Secret', name: 'cluster-secrets' }, { kind: 'ConfigMap', name: 'absent', optional: true }],
      },
    });
    await readyAt(ns, 'app', rev);
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
    await create(ns, 'app', { path: './app', postBuild: { substitute: { level: 'info' } } });
    const failed = readyMessage(await readyFalse(ns, 'app', 'BuildFailed'));
    expect(failed).toContain(`'ConfigMap/${ns}/settings'`);
    expect(failed).toContain('cluster_name');
    const names = (await kubeConfig(env).makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace: ns })).items.map((c) => c.metadata?.name);
    expect(names).not.toContain('settings');
  });
});
