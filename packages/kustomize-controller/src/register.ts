/** Registering kustomize-controller's reconciler with a manager (used by main.ts and the tests). */
import type { Kustomization } from '@eddy/api';
import type { Manager } from '@eddy/runtime';
import { dependencyKeys } from './check-dependencies.ts';
import { KustomizationReconciler, type KustomizationReconcilerDeps } from './kustomization/reconciler.ts';

/** The kind kustomize-controller reconciles. */
export const kustomizationKind = { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', plural: 'kustomizations' } as const;

/** Options of {@link registerKustomizeReconcilers}: the reconciler's dependencies but the cache lookup, which the manager provides. */
export type KustomizeReconcilersOptions = Omit<KustomizationReconcilerDeps, 'lookup'>;

/**
 * Adds the Kustomization controller. A Kustomization is also reconciled as soon as one it
 * depends on changes (an index of `spec.dependsOn` on the shared informer), so dependents do
 * not wait for `--requeue-dependency`.
 */
export function registerKustomizeReconcilers(manager: Manager, opts: KustomizeReconcilersOptions): void {
  const kustomizations = manager.informer<Kustomization>(kustomizationKind);
  kustomizations.addIndex('dependsOn', (o) => dependencyKeys(o));
  const controller = manager.addController(kustomizationKind, new KustomizationReconciler({ ...opts, lookup: (namespace, name) => kustomizations.get(namespace, name) }));
  controller.watch(kustomizations, (changed) =>
    kustomizations
      .byIndex('dependsOn', `${changed.metadata.namespace ?? ''}/${changed.metadata.name ?? ''}`)
      .map((o) => ({ namespace: o.metadata.namespace ?? '', name: o.metadata.name ?? '' })),
  );
}
