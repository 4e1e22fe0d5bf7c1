// dependsOn ordering, tenant impersonation, health checks, retryInterval and cross-namespace
// refusal, end to end against the real cluster with the source faked through its status.
import { CoreV1Api, CustomObjectsApi, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import type { Kustomization } from '@eddy/api';
import { eventually, kubeConfig, testEnv, testNamespace } from '@eddy/testkit';
import { describe, expect, it } from 'vitest';
import { kustomizeTestbed } from '../fixtures/kustomize-manager.ts';
import { conditionsOf as conditions, createKustomization as create, readKustomization as read } from '../fixtures/kustomizations.ts';

const gvp = { group: 'kustomize.toolkit.fluxcd.io', version: 'v1', plural: 'kustomizations' };
const bed = kustomizeTestbed();

const kc = () => bed.kubeConfig();
const core = () => kubeConfig(testEnv()).makeApiClient(CoreV1Api);

const configMap = (name: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
data:
  key: value
`;
const deployment = (name: string, extra = '', podExtra = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: 1
${extra}  selector:
    matchLabels: { app: ${name} }
  template:
    metadata:
      labels: { app: ${name} }
    spec:
${podExtra}      containers:
        - name: web
          image: nginx:1.27
`;

async function setup(prefix: string, opts: { noCrossNamespaceRefs?: boolean } = {}): Promise<string> {
  const ns = await testNamespace(testEnv(), prefix);
  await bed.start(ns, opts);
  return ns;
}

type Cond = ReturnType<typeof conditions>[number];

/** Waits until the Kustomization's conditions are exactly `want` (a function may match messages loosely). */
async function conditionsBecome(ns: string, name: string, want: Cond[] | ((c: Cond[]) => void), description: string): Promise<Kustomization> {
  return await eventually(
    async () => {
      const o = await read(ns, name);
      if (typeof want === 'function') want(conditions(o));
      else expect(conditions(o)).toEqual(want);
      return o;
    },
    // Generous: on a loaded 2-core machine a Deployment can take a while to become Available.
    { timeoutMs: 150_000, description: `Kustomization ${name}: ${description}` },
  );
}

const ready = (revision: string): Cond => ({ type: 'Ready', status: 'True', reason: 'ReconciliationSucceeded', message: `Applied revision: ${revision}` });
const readyTime = (o: Kustomization) => Date.parse(o.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime ?? '');

describe('Kustomization dependsOn', () => {
  it('applies a → b → c in order, c waiting with DependencyNotReady while b is not Ready', async () => {
    const ns = await setup('ks-deps');
    const rev = 'main@sha1:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    await bed.source().publish(kc(), ns, 'repo', rev, { 'a/cm.yaml': configMap('cm-a'), 'c/cm.yaml': configMap('cm-c') });
    // b's source does not exist yet, so b stays not Ready until it is published.
    await create(ns, 'c', { path: './c', dependsOn: [{ name: 'b' }] });
    await create(ns, 'b', { path: './b', dependsOn: [{ name: 'a' }], sourceRef: { kind: 'GitRepository', name: 'repo-b' } });
    await create(ns, 'a', { path: './a' });

    const a = await conditionsBecome(ns, 'a', [ready(rev)], 'Ready');
    await conditionsBecome(ns, 'b', [{ type: 'Ready', status: 'False', reason: 'ArtifactFailed', message: `Source 'GitRepository/${ns}/repo-b' not found` }], 'waiting for its source');
    await conditionsBecome(ns, 'c', [{ type: 'Ready', status: 'False', reason: 'DependencyNotReady', message: `dependency '${ns}/b' is not ready` }], 'waiting for b');
    await expect(core().readNamespacedConfigMap({ name: 'cm-c', namespace: ns })).rejects.toMatchObject({ code: 404 });

    const revB = 'main@sha1:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
    await bed.source().publish(kc(), ns, 'repo-b', revB, { 'b/cm.yaml': configMap('cm-b') });
    const b = await conditionsBecome(ns, 'b', [ready(revB)], 'Ready');
    await conditionsBecome(ns, 'c', [ready(rev)], 'Ready');

    const created = async (name: string) => Date.parse(String((await core().readNamespacedConfigMap({ name, namespace: ns })).metadata?.creationTimestamp?.toISOString()));
    expect(readyTime(a)).toBeLessThanOrEqual(await created('cm-b'));
    expect(readyTime(b)).toBeLessThanOrEqual(await created('cm-c'));
    expect(await created('cm-a')).toBeLessThanOrEqual(await created('cm-b'));
  });
});

describe('Kustomization tenancy, health and access', () => {
  it('reports the forbidden message of a service account without rights, and applies after a RoleBinding (retried after retryInterval)', async () => {
    const ns = await setup('ks-tenant');
    const rev = 'main@sha1:cccccccccccccccccccccccccccccccccccccccc';
    await core().createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'tenant' } } });
    await bed.source().publish(kc(), ns, 'repo', rev, { 'app/cm.yaml': configMap('tenant-cm') });
    // interval 1h: only retryInterval brings the retry after the RoleBinding.
    await create(ns, 'app', { path: './app', serviceAccountName: 'tenant', retryInterval: '2s' });
    const failed = await conditionsBecome(
      ns,
      'app',
      (c) => {
        expect(c.map((x) => [x.type, x.status, x.reason])).toEqual([['Ready', 'False', 'ReconciliationFailed']]);
        expect(c[0]?.message).toContain(`User "system:serviceaccount:${ns}:tenant" cannot`);
        expect(c[0]?.message).toContain('forbidden');
      },
      'forbidden',
    );
    expect(failed.status?.inventory?.entries ?? []).toEqual([]);

    await kubeConfig(testEnv())
      .makeApiClient(RbacAuthorizationV1Api)
      .createNamespacedRoleBinding({
        namespace: ns,
        body: { metadata: { name: 'tenant-edit' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' }, subjects: [{ kind: 'ServiceAccount', name: 'tenant', namespace: ns }] },
      });
    await conditionsBecome(ns, 'app', [ready(rev)], 'Ready after the RoleBinding');
    expect((await core().readNamespacedConfigMap({ name: 'tenant-cm', namespace: ns })).metadata?.name).toBe('tenant-cm');
  });

  it('with spec.wait, is Healthy once a Deployment is Available, and HealthCheckFailed naming a Deployment that cannot progress', async () => {
    const ns = await setup('ks-health');
    const rev1 = 'main@sha1:dddddddddddddddddddddddddddddddddddddddd';
    await bed.source().publish(kc(), ns, 'repo', rev1, { 'app/deploy.yaml': deployment('web') });
    // A health check that times out (a busy machine) is retried after 5s rather than in an hour.
    await create(ns, 'app', { path: './app', wait: true, timeout: '50s', retryInterval: '5s' });
    await conditionsBecome(ns, 'app', [{ type: 'Healthy', status: 'True', reason: 'Succeeded', message: 'Health check passed' }, ready(rev1)], 'Healthy');

    const rev2 = 'main@sha1:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee';
    const stuck = deployment('stuck', '  progressDeadlineSeconds: 1\n', '      nodeSelector: { eddy.dev/no-such-node: "true" }\n');
    await bed.source().publish(kc(), ns, 'repo', rev2, { 'app/deploy.yaml': deployment('web'), 'app/stuck.yaml': stuck });
    await kubeConfig(testEnv())
      .makeApiClient(CustomObjectsApi)
      .patchNamespacedCustomObject({ ...gvp, namespace: ns, name: 'app', body: [{ op: 'replace', path: '/spec/timeout', value: '40s' }] });
    await conditionsBecome(
      ns,
      'app',
      (c) => {
        expect(c.map((x) => [x.type, x.status, x.reason])).toEqual([
          ['Healthy', 'False', 'HealthCheckFailed'],
          ['Ready', 'False', 'HealthCheckFailed'],
        ]);
        expect(c[1]?.message).toContain(`Deployment/${ns}/stuck`);
        expect(c[1]?.message).not.toContain(`Deployment/${ns}/web`);
        expect(c[0]?.message).toBe(c[1]?.message);
      },
      'HealthCheckFailed',
    );
  }, 300_000);

  it('refuses a sourceRef into another namespace with --no-cross-namespace-refs', async () => {
    const ns = await setup('ks-xns', { noCrossNamespaceRefs: true });
    await create(ns, 'app', { sourceRef: { kind: 'GitRepository', name: 'repo', namespace: 'flux-system' } });
    const message = "can't access 'GitRepository/flux-system/repo', cross-namespace references have been blocked (--no-cross-namespace-refs)";
    await conditionsBecome(
      ns,
      'app',
      [
        { type: 'Ready', status: 'False', reason: 'AccessDenied', message },
        { type: 'Stalled', status: 'True', reason: 'AccessDenied', message },
      ],
      'AccessDenied',
    );
  });
});
