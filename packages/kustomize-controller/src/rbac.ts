/**
 * The Kubernetes RBAC kustomize-controller needs, as data; config/rbac.yaml is generated from
 * it and `eddy install` deploys that file. Its own rules cover its kind (with status and
 * finalizers), the sources it reads artifacts from, the Secrets and ConfigMaps of decryption,
 * substitution and remote kubeconfigs, impersonating tenants' ServiceAccounts, Events and its
 * leader-election Lease. Beyond them it is bound to `cluster-admin`, as Flux's
 * kustomize-controller is: it applies and prunes whatever kinds the users' manifests hold.
 * Tenants are confined by `spec.serviceAccountName` / `--default-service-account`.
 */
import { controllerRbac, type PolicyRule } from '@eddy/runtime';

/** The rules of the `kustomize-controller` ClusterRole. */
export const kustomizeControllerRules: PolicyRule[] = [
  { apiGroups: ['kustomize.toolkit.fluxcd.io'], resources: ['kustomizations'], verbs: ['get', 'list', 'watch', 'patch', 'update'] },
  { apiGroups: ['kustomize.toolkit.fluxcd.io'], resources: ['kustomizations/status', 'kustomizations/finalizers'], verbs: ['get', 'patch', 'update'] },
  { apiGroups: ['source.toolkit.fluxcd.io'], resources: ['gitrepositories', 'ocirepositories', 'buckets'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['secrets', 'configmaps'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['impersonate'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
];

/**
 * The ServiceAccount, ClusterRole, its binding and the `cluster-admin` binding that let
 * kustomize-controller run as `namespace/<name>` (default `kustomize-controller`).
 */
export function kustomizeControllerRbac(namespace: string, name = 'kustomize-controller'): Record<string, unknown>[] {
  return controllerRbac('kustomize-controller', namespace, kustomizeControllerRules, { name, clusterAdmin: true });
}
