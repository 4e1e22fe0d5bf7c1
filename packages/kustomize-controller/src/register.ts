/** Registering kustomize-controller's reconciler with a manager (used by main.ts and the tests). */
import type { Manager } from '@eddy/runtime';
import { KustomizationReconciler, type KustomizationReconcilerDeps } from './kustomization/reconciler.ts';

/** The kind kustomize-controller reconciles. */
export const kustomizationKind = { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', plural: 'kustomizations' } as const;

/** Options of {@link registerKustomizeReconcilers}. */
export type KustomizeReconcilersOptions = KustomizationReconcilerDeps;

/** Adds the Kustomization controller. */
export function registerKustomizeReconcilers(manager: Manager, opts: KustomizeReconcilersOptions): void {
  manager.addController(kustomizationKind, new KustomizationReconciler(opts));
}
