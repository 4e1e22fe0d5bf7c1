// eddy install / check / version / uninstall against the real cluster: an install into a test
// namespace (controllers limited to it), its Deployments Available on the kwok nodes, and an
// uninstall that removes the controllers and the finalizers but keeps the workloads applied.
import { CoreV1Api } from '@kubernetes/client-node';
import { eventually, installEddyCrds, kubeConfig, testEnv, testNamespace, uniqueName } from '@eddy/testkit';
import type { ApiObject } from '@eddy/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { eddy, testClient } from './helpers.ts';

beforeAll(async () => {
  await installEddyCrds(testEnv());
});

describe('eddy install, check, version, uninstall', () => {
  it('check --pre checks the Kubernetes version only', async () => {
    const result = await eddy(['check', '--pre']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^► checking prerequisites\n✔ Kubernetes 1\.\d+\.\d+ >=1\.33\.0\n✔ prerequisites checks passed\n$/);
  });

  it('installs into a namespace, checks it, and uninstalls it keeping the workloads', async () => {
    const env = testEnv();
    const ns = uniqueName('cli-install');
    const apps = await testNamespace(env, 'cli-workload');
    const core = kubeConfig(env).makeApiClient(CoreV1Api);
    try {
      const installed = await eddy(['install', '-n', ns, '--watch-all-namespaces=false', '--timeout=2m']);
      expect(installed.stderr).toContain('✔ install finished');
      expect(installed.code).toBe(0);
      const client = testClient();
      const deployment = await client.get<ApiObject>({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'kustomize-controller', namespace: ns } });
      expect(deployment['spec']).toMatchObject({
        template: { spec: { serviceAccountName: 'kustomize-controller', containers: [{ name: 'manager', image: 'eddy/kustomize-controller:0.0.0', args: expect.arrayContaining(['--watch-all-namespaces=false']) as unknown }] } },
      });
      const binding = await client.get<ApiObject>({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: `kustomize-controller-cluster-reconciler-${ns}` } });
      expect(binding).toMatchObject({ roleRef: { name: 'cluster-admin' }, subjects: [{ kind: 'ServiceAccount', name: 'kustomize-controller', namespace: ns }] });

      const check = await eddy(['check', '-n', ns]);
      expect(check.stderr).toContain('✔ source-controller: deployment ready\n► eddy/source-controller:0.0.0\n');
      expect(check.stderr).toContain('✔ kustomizations.kustomize.toolkit.fluxcd.io/v1\n✔ all checks passed\n');
      expect(check.code).toBe(0);
      expect(await eddy(['version', '-n', ns])).toEqual({ code: 0, stdout: 'eddy: v0.0.0\nkustomize-controller: v0.0.0\nsource-controller: v0.0.0\n', stderr: '' });

      // A Kustomization with its finalizer, and a workload it applied in another namespace.
      const kustomization: ApiObject = {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'apps', namespace: ns, finalizers: ['finalizers.fluxcd.io'] },
        spec: { interval: '1h', prune: true, sourceRef: { kind: 'GitRepository', name: 'fleet' } },
      };
      await client.apply(kustomization, { fieldManager: 'cli-test' });
      await core.createNamespacedConfigMap({ namespace: apps, body: { metadata: { name: 'workload', labels: { 'kustomize.toolkit.fluxcd.io/name': 'apps', 'kustomize.toolkit.fluxcd.io/namespace': ns } }, data: { a: 'b' } } });

      const dryRun = await eddy(['uninstall', '-n', ns, '--dry-run']);
      expect(dryRun.code).toBe(0);
      expect(dryRun.stderr).toContain(`► Deployment/${ns}/source-controller deleted (dry run)\n`);
      expect(dryRun.stderr).toContain(`► ClusterRole/kustomize-controller-${ns} deleted (dry run)\n`);
      expect(dryRun.stderr).toContain(`► Kustomization/${ns}/apps finalizers deleted (dry run)\n`);
      expect(dryRun.stderr).toContain(`► Namespace/${ns} deleted (dry run)\n`);
      // The dry run deleted nothing.
      expect((await eddy(['check', '-n', ns])).code).toBe(0);

      expect(await eddy(['uninstall', '-n', ns, '--keep-crds'])).toEqual({ code: 2, stdout: '', stderr: '✗ eddy uninstall asks for confirmation: run it in a terminal or pass --silent\n' });
      // The shared cluster's CRDs stay (--keep-crds): other tests use them.
      const removed = await eddy(['uninstall', '-n', ns, '--silent', '--keep-crds']);
      expect(removed.code).toBe(0);
      expect(removed.stderr).toContain(`✔ Kustomization/${ns}/apps finalizers deleted\n`);
      expect(removed.stderr).toContain('✔ uninstall finished\n');
      expect(await client.find({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: `source-controller-${ns}` } })).toBeUndefined();
      await eventually(async () => expect(await client.find({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })).toBeUndefined(), { timeoutMs: 60_000, description: `namespace ${ns} deleted` });
      expect((await core.readNamespacedConfigMap({ namespace: apps, name: 'workload' })).data).toEqual({ a: 'b' });

      const after = await eddy(['check', '-n', ns]);
      expect(after.code).toBe(1);
      expect(after.stderr).toMatch(new RegExp(`✗ check failed: source-controller: deployment not found in ${ns} namespace; kustomize-controller: deployment not found in ${ns} namespace\\n$`));
    } finally {
      await core.deleteNamespace({ name: ns }).catch(() => undefined);
    }
  });
});
