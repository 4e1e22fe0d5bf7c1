/** Registering kustomize-controller's reconciler with a manager (used by main.ts and the tests). */
import type { Artifact, Kustomization } from '@eddy/api';
import type { Manager, ReconciledObject } from '@eddy/runtime';
import { dependencyKeys } from './check-dependencies.ts';
import { KustomizationReconciler, type KustomizationReconcilerDeps } from './kustomization/reconciler.ts';

/** The kind kustomize-controller reconciles. */
export const kustomizationKind = { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', plural: 'kustomizations' } as const;

/** The source kinds a Kustomization's `spec.sourceRef` may name. */
export const sourceKinds = [
  { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', plural: 'gitrepositories' },
  { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'OCIRepository', plural: 'ocirepositories' },
  { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'Bucket', plural: 'buckets' },
] as const;

/** A source as kustomize-controller sees it: only its artifact matters. */
type SourceObject = ReconciledObject & { status?: { artifact?: Artifact } };

/** Options of {@link registerKustomizeReconcilers}: the reconciler's dependencies but the cache lookups, which the manager provides. */
export type KustomizeReconcilersOptions = Omit<KustomizationReconcilerDeps, 'lookup' | 'lookupSource'>;

/** The `Kind/namespace/name` key of a Kustomization's source. */
function sourceKey(obj: Kustomization): string {
  const ref = obj.spec.sourceRef;
  return `${ref.kind}/${ref.namespace || obj.metadata.namespace || ''}/${ref.name}`;
}

/**
 * Adds the Kustomization controller. A Kustomization is also reconciled as soon as one it
 * depends on changes (an index of `spec.dependsOn`), and as soon as its source publishes a new
 * artifact revision (an index of `spec.sourceRef`), so neither waits for `--requeue-dependency`
 * or `spec.interval`. Sources are read from the same shared informers.
 */
export function registerKustomizeReconcilers(manager: Manager, opts: KustomizeReconcilersOptions): void {
  const kustomizations = manager.informer<Kustomization>(kustomizationKind);
  kustomizations.addIndex('dependsOn', (o) => dependencyKeys(o));
  kustomizations.addIndex('sourceRef', (o) => [sourceKey(o)]);
  const sources = new Map(sourceKinds.map((k) => [k.kind as string, manager.informer<SourceObject>(k)]));
  const controller = manager.addController(
    kustomizationKind,
    new KustomizationReconciler({
      ...opts,
      lookup: (namespace, name) => kustomizations.get(namespace, name),
      lookupSource: (kind, namespace, name) => sources.get(kind)?.get(namespace, name),
    }),
  );
  const requestsFor = (index: string, key: string) => kustomizations.byIndex(index, key).map((o) => ({ namespace: o.metadata.namespace ?? '', name: o.metadata.name ?? '' }));
  controller.watch(kustomizations, (changed) => requestsFor('dependsOn', `${changed.metadata.namespace ?? ''}/${changed.metadata.name ?? ''}`));
  for (const [kind, informer] of sources) {
    controller.watch(informer, (source) => requestsFor('sourceRef', `${kind}/${source.metadata.namespace ?? ''}/${source.metadata.name ?? ''}`), {
      updated: (oldSource, newSource) => oldSource.status?.artifact?.revision !== newSource.status?.artifact?.revision,
    });
  }
}
