/**
 * The Kubernetes RBAC source-controller needs, as data: the chart and `eddy install` render it,
 * and config/rbac.yaml is generated from it. Least privilege: its own kinds and their
 * status/finalizers, read access to the Secrets, ConfigMaps and ServiceAccounts a source
 * references, Events, and its leader-election Lease. The tests run the controller with exactly
 * these rights.
 */
import { controllerRbac, type PolicyRule } from '@eddy/runtime';

export type { PolicyRule };

/** The rules of the `source-controller` ClusterRole. */
export const sourceControllerRules: PolicyRule[] = [
  {
    apiGroups: ['source.toolkit.fluxcd.io'],
    resources: ['gitrepositories', 'ocirepositories'],
    verbs: ['get', 'list', 'watch', 'patch', 'update'],
  },
  {
    apiGroups: ['source.toolkit.fluxcd.io'],
    resources: ['gitrepositories/status', 'ocirepositories/status', 'gitrepositories/finalizers', 'ocirepositories/finalizers'],
    verbs: ['get', 'patch', 'update'],
  },
  { apiGroups: [''], resources: ['secrets', 'configmaps', 'serviceaccounts'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
];

/**
 * The ServiceAccount, ClusterRole and ClusterRoleBinding that let source-controller run as
 * `namespace/<name>` (default `source-controller`).
 */
export function sourceControllerRbac(namespace: string, name = 'source-controller'): Record<string, unknown>[] {
  return controllerRbac('source-controller', namespace, sourceControllerRules, { name });
}
