/** @eddy/kustomize-controller: Kustomization build and apply (see docs/kustomizations.md, coming). */
export {};
