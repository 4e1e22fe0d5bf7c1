// Kustomization end to end against the real cluster, with the source faked through its status
// and an artifact served from this process (STYLE habit 2).
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { kubeConfig, runCommand, testEnv, testNamespace } from '@eddy/testkit';
import { describe, expect, it } from 'vitest';
import { kustomizeTestbed } from '../fixtures/kustomize-manager.ts';
import { createKustomization as create, readyAt, readyFalse, requestReconcile } from '../fixtures/kustomizations.ts';

const bed = kustomizeTestbed();

const kc = () => bed.kubeConfig();

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
        - name: web
          image: nginx:1.27
`;
const service = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: { app: web }
  ports: [{ port: 80 }]
`;
const configMap = (name: string, annotations = '') => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
${annotations}data:
  key: value
`;

async function setup(prefix: string): Promise<string> {
  const ns = await testNamespace(testEnv(), prefix);
  await bed.start(ns);
  return ns;
}

describe('Kustomization', () => {
  it('applies plain manifests, records the inventory, prunes what a new revision drops (keeping prune: disabled), and reverts a kubectl scale', async () => {
    const ns = await setup('ks-apply');
    const rev1 = 'main@sha1:1111111111111111111111111111111111111111';
    await bed.source().publish(kc(), ns, 'repo', rev1, {
      'apps/deploy.yaml': deployment,
      'apps/svc.yaml': service,
      'apps/cm.yaml': configMap('settings'),
      'apps/kept.yaml': configMap('kept', '  annotations:\n    kustomize.toolkit.fluxcd.io/prune: disabled\n'),
      'apps/.hidden.yaml': configMap('hidden'),
    });
    await create(ns, 'app', { path: './apps' });
    const ready = await readyAt(ns, 'app', rev1);
    expect(ready.status?.lastAttemptedRevision).toBe(rev1);
    expect(ready.status?.inventory?.entries.map((e) => e.id).sort()).toEqual(
      [`${ns}_kept__ConfigMap`, `${ns}_settings__ConfigMap`, `${ns}_web__Service`, `${ns}_web_apps_Deployment`].sort(),
    );
    const core = kubeConfig(testEnv()).makeApiClient(CoreV1Api);
    const cm = await core.readNamespacedConfigMap({ name: 'settings', namespace: ns });
    expect(cm.metadata?.labels).toMatchObject({ 'kustomize.toolkit.fluxcd.io/name': 'app', 'kustomize.toolkit.fluxcd.io/namespace': ns });

    // A kubectl scale is reverted on the next reconcile.
    await runCommand(testEnv().tools.kubectl, ['--kubeconfig', testEnv().kubeconfig, '-n', ns, 'scale', 'deployment/web', '--replicas=3']);
    await requestReconcile(ns, 'app', 'scale');
    await readyAt(ns, 'app', rev1, { token: 'scale' });
    const apps = kubeConfig(testEnv()).makeApiClient(AppsV1Api);
    expect((await apps.readNamespacedDeployment({ name: 'web', namespace: ns })).spec?.replicas).toBe(1);

    // A revision without the ConfigMaps prunes one and keeps the protected one.
    const rev2 = 'main@sha1:2222222222222222222222222222222222222222';
    await bed.source().publish(kc(), ns, 'repo', rev2, { 'apps/deploy.yaml': deployment, 'apps/svc.yaml': service });
    await requestReconcile(ns, 'app', 'rev2');
    const pruned = await readyAt(ns, 'app', rev2, { token: 'rev2' });
    expect(pruned.status?.inventory?.entries.map((e) => e.id).sort()).toEqual([`${ns}_web__Service`, `${ns}_web_apps_Deployment`].sort());
    await expect(core.readNamespacedConfigMap({ name: 'settings', namespace: ns })).rejects.toMatchObject({ code: 404 });
    expect((await core.readNamespacedConfigMap({ name: 'kept', namespace: ns })).metadata?.name).toBe('kept');
  });

  it('refuses an artifact whose digest does not match, and applies nothing', async () => {
    const ns = await setup('ks-digest');
    await bed.source().publish(kc(), ns, 'repo', 'main@sha1:3333333333333333333333333333333333333333', { 'cm.yaml': configMap('bad') }, { wrongDigest: true });
    await create(ns, 'app', {});
    const failed = await readyFalse(ns, 'app', 'ArtifactFailed');
    expect(failed.status?.conditions?.find((c) => c.type === 'Ready')?.message).toMatch(/computed digest sha256:[0-9a-f]{64} doesn't match advertised 'sha256:0{64}'/);
    const core = kubeConfig(testEnv()).makeApiClient(CoreV1Api);
    await expect(core.readNamespacedConfigMap({ name: 'bad', namespace: ns })).rejects.toMatchObject({ code: 404 });
  });

  it('refuses an artifact with a link leaving it, naming the entry and revision, and applies nothing', async () => {
    const ns = await setup('ks-unsafe');
    const revision = 'main@sha1:4444444444444444444444444444444444444444';
    await bed.source().publish(kc(), ns, 'repo', revision, { 'cm.yaml': configMap('unsafe') }, { symlinks: { 'etc': '../../../etc' } });
    await create(ns, 'app', {});
    const failed = await readyFalse(ns, 'app', 'ArtifactFailed');
    expect(failed.status?.conditions?.find((c) => c.type === 'Ready')?.message).toBe(
      `failed to extract artifact of revision '${revision}': archive entry "etc" is a symlink to "../../../etc", outside the destination`,
    );
    const core = kubeConfig(testEnv()).makeApiClient(CoreV1Api);
    await expect(core.readNamespacedConfigMap({ name: 'unsafe', namespace: ns })).rejects.toMatchObject({ code: 404 });
  });

  it('stalls on a missing path, naming the path and revision', async () => {
    const ns = await setup('ks-path');
    const rev = 'main@sha1:4444444444444444444444444444444444444444';
    await bed.source().publish(kc(), ns, 'repo', rev, { 'cm.yaml': configMap('x') });
    await create(ns, 'app', { path: './apps' });
    const failed = await readyFalse(ns, 'app', 'BuildFailed');
    expect(failed.status?.conditions?.find((c) => c.type === 'Ready')?.message).toBe(`kustomization path not found: './apps' in revision '${rev}'`);
    expect(failed.status?.conditions?.find((c) => c.type === 'Stalled')?.status).toBe('True');
  });

  it('applies targetNamespace and namePrefix through an overlay', async () => {
    const ns = await setup('ks-overlay');
    const rev = 'main@sha1:5555555555555555555555555555555555555555';
    await bed.source().publish(kc(), ns, 'repo', rev, { 'deploy/kustomization.yaml': 'resources: [cm.yaml]\nnamespace: elsewhere\n', 'deploy/cm.yaml': configMap('settings') });
    await create(ns, 'app', { path: 'deploy', namePrefix: 'team-' });
    const ready = await readyAt(ns, 'app', rev);
    expect(ready.status?.inventory?.entries).toEqual([{ id: `${ns}_team-settings__ConfigMap`, v: 'v1' }]);
  });
});
