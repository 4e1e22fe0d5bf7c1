// The install manifests: component selection and RBAC moved to the target namespace.
import { describe, expect, it } from 'vitest';
import { selectComponents } from '../../src/install/components.ts';
import { retargetRbac, type Manifest } from '../../src/install/manifests.ts';

describe('selectComponents', () => {
  it('defaults to source-controller and kustomize-controller, in install order', () => {
    expect(selectComponents(undefined).map((c) => c.name)).toEqual(['source-controller', 'kustomize-controller']);
    expect(selectComponents(['kustomize-controller,source-controller']).map((c) => c.name)).toEqual(['source-controller', 'kustomize-controller']);
  });

  it('refuses unknown components and ones Eddy has not built yet', () => {
    expect(() => selectComponents(['flagger'])).toThrow("unknown component 'flagger': available are source-controller, kustomize-controller");
    expect(() => selectComponents(['image-automation-controller'])).toThrow("component 'image-automation-controller' is not part of Eddy yet");
  });
});

describe('retargetRbac', () => {
  it('moves namespaced objects and subjects, and suffixes cluster-scoped names with the namespace', () => {
    const rbac: Manifest[] = [
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'c', namespace: 'flux-system' } },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'c' }, rules: [] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'c' }, roleRef: { kind: 'ClusterRole', name: 'c' }, subjects: [{ kind: 'ServiceAccount', name: 'c', namespace: 'flux-system' }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'c-admin' }, roleRef: { kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'ServiceAccount', name: 'c', namespace: 'flux-system' }] },
    ];
    expect(retargetRbac(rbac, 'team')).toEqual([
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'c', namespace: 'team' } },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'c-team' }, rules: [] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'c-team' }, roleRef: { kind: 'ClusterRole', name: 'c-team' }, subjects: [{ kind: 'ServiceAccount', name: 'c', namespace: 'team' }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'c-admin-team' }, roleRef: { kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'ServiceAccount', name: 'c', namespace: 'team' }] },
    ]);
    expect(rbac[0]!.metadata.namespace).toBe('flux-system');
  });
});
