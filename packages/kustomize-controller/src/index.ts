/**
 * @eddy/kustomize-controller: Kustomizations built with the real kustomize and applied with
 * @eddy/ssa. Run it with `node packages/kustomize-controller/src/main.ts`.
 */
export { kustomizationKind, registerKustomizeReconcilers, type KustomizeReconcilersOptions } from './register.ts';
