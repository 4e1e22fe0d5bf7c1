// kustomize-controller's RBAC: the committed manifest is what src/rbac.ts generates, and it is
// Flux's shape — its own rules plus the cluster-admin binding an applier of any kind needs.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { rbacManifest, rbacManifestPath } from '../codegen/rbac-manifest.ts';
import { kustomizeControllerRbac } from '../src/rbac.ts';

describe('kustomize-controller RBAC', () => {
  it('config/rbac.yaml is what src/rbac.ts generates (else run: npm run rbac:kustomize)', async () => {
    expect(await readFile(rbacManifestPath, 'utf8')).toBe(rbacManifest());
  });

  it('binds the ServiceAccount to its own ClusterRole and to cluster-admin', () => {
    const objects = kustomizeControllerRbac('flux-system');
    expect(objects.map((o) => `${String(o['kind'])}/${String((o['metadata'] as { name: string }).name)}`)).toEqual([
      'ServiceAccount/kustomize-controller',
      'ClusterRole/kustomize-controller',
      'ClusterRoleBinding/kustomize-controller',
      'ClusterRoleBinding/kustomize-controller-cluster-reconciler',
    ]);
    expect(objects[3]).toMatchObject({
      roleRef: { kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', name: 'kustomize-controller', namespace: 'flux-system' }],
    });
  });
});
