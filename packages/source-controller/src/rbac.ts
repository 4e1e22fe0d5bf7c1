/**
 * The Kubernetes RBAC rules source-controller needs, as data (the chart and `eddy install` render
 * them). Least privilege: its own kinds and their status/finalizers, read access to the Secrets
 * and ConfigMaps a source references, Events, and its leader-election Lease.
 */

/** A PolicyRule of a ClusterRole. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

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
