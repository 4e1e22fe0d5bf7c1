// The API server authorizes with RBAC: an unprivileged token is refused until a RoleBinding
// grants it, and the admin can impersonate a ServiceAccount (what spec.serviceAccountName
// will rely on).
import { ApiException, CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { eventually, kubeConfig, testEnv, testNamespace } from '@eddy/testkit';
import { describe, expect, it } from 'vitest';

async function status(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (err) {
    if (err instanceof ApiException) return err.code;
    throw err;
  }
}

describe('RBAC and impersonation', () => {
  it('forbids an unprivileged token, then allows it after a RoleBinding', async () => {
    const env = testEnv();
    const ns = await testNamespace(env, 'rbac');
    const tenant = kubeConfig(env, { token: env.kube.unprivileged.token }).makeApiClient(CoreV1Api);
    expect(await status(tenant.listNamespacedConfigMap({ namespace: ns }))).toBe(403);

    const rbac = kubeConfig(env).makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'tenant-view' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: env.kube.unprivileged.username }],
      },
    });
    await eventually(async () => expect(await status(tenant.listNamespacedConfigMap({ namespace: ns }))).toBe(200), {
      description: 'RoleBinding takes effect',
    });
    // The binding is scoped: other namespaces stay closed.
    expect(await status(tenant.listNamespacedConfigMap({ namespace: 'kube-system' }))).toBe(403);
  });

  it("lets the admin impersonate a ServiceAccount, with that account's rights only", async () => {
    const env = testEnv();
    const ns = await testNamespace(env, 'imp');
    const admin = kubeConfig(env);
    const core = admin.makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'deployer' } } });
    const asDeployer = kubeConfig(env, { impersonate: `system:serviceaccount:${ns}:deployer` }).makeApiClient(CoreV1Api);
    const createConfigMap = (name: string): Promise<unknown> =>
      asDeployer.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name }, data: { a: 'b' } } });

    // Admin itself may do anything; as the ServiceAccount it may not.
    expect(await status(createConfigMap('before'))).toBe(403);

    await admin.makeApiClient(RbacAuthorizationV1Api).createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'deployer-edit' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
        subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace: ns }],
      },
    });
    await eventually(async () => expect(await status(createConfigMap('after'))).toBe(200), { description: 'impersonated create allowed' });
    const created = await core.readNamespacedConfigMap({ name: 'after', namespace: ns });
    expect(created.data).toEqual({ a: 'b' });
    expect(await status(asDeployer.listNamespacedSecret({ namespace: 'kube-system' }))).toBe(403);
  });
});
