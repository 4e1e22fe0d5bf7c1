/**
 * Per-object apply policies read from annotations, and the stage an object is applied in: the
 * pure decisions of the resource manager.
 */
import { Annotation } from '@eddy/api';
import type { KubeObject } from './object.ts';

/**
 * How an object is applied (annotation `kustomize.toolkit.fluxcd.io/ssa`, case-insensitive):
 * `Override` (default) applies and reclaims fields kubectl edits took; `Merge` applies but
 * leaves other managers' fields alone; `IfNotPresent` only creates; `Ignore` never applies.
 */
export type ApplyPolicy = 'Override' | 'Merge' | 'IfNotPresent' | 'Ignore';

const policies: readonly ApplyPolicy[] = ['Override', 'Merge', 'IfNotPresent', 'Ignore'];

/** The object's {@link ApplyPolicy}; an absent or unknown value means `Override`, as in Flux. */
export function applyPolicy(obj: KubeObject): ApplyPolicy {
  const value = obj.metadata.annotations?.[Annotation.KustomizeSSA]?.trim().toLowerCase();
  return policies.find((p) => p.toLowerCase() === value) ?? 'Override';
}

/** Whether the object allows being recreated on an immutable-field change (`kustomize.toolkit.fluxcd.io/force: enabled`). */
export function forceAnnotated(obj: KubeObject): boolean {
  return obj.metadata.annotations?.[Annotation.KustomizeForce]?.trim().toLowerCase() === 'enabled';
}

/** Kinds of the first stage: definitions and cluster-wide prerequisites of everything else. */
const clusterDefinitionKinds = new Set(['CustomResourceDefinition', 'Namespace', 'ClusterRole', 'ClusterRoleBinding']);

/**
 * The stage an object is applied in (1-based): 1 CustomResourceDefinitions, Namespaces,
 * ClusterRoles and ClusterRoleBindings; 2 kinds whose name ends in `Class` (StorageClass,
 * IngressClass…); 3 everything else.
 */
export function applyStage(obj: { kind: string }): 1 | 2 | 3 {
  if (clusterDefinitionKinds.has(obj.kind)) return 1;
  if (obj.kind.endsWith('Class')) return 2;
  return 3;
}

/** The objects grouped by {@link applyStage}, each group in the given order. */
export function stages<T extends { kind: string }>(objects: readonly T[]): [T[], T[], T[]] {
  const out: [T[], T[], T[]] = [[], [], []];
  for (const obj of objects) out[applyStage(obj) - 1]!.push(obj);
  return out;
}

/** Whether the object is a CustomResourceDefinition (the ones a staged apply waits for). */
export function isCrd(obj: KubeObject): boolean {
  return obj.kind === 'CustomResourceDefinition' && obj.apiVersion.startsWith('apiextensions.k8s.io/');
}

/** The object with `labels` added to its metadata.labels (a copy; the input is not changed). */
export function withLabels(obj: KubeObject, labels: Readonly<Record<string, string>>): KubeObject {
  if (Object.keys(labels).length === 0) return obj;
  return { ...obj, metadata: { ...obj.metadata, labels: { ...obj.metadata.labels, ...labels } } };
}
