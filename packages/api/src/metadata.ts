/** Annotations, labels, finalizers and field managers, exactly as Flux names them. */

/** Annotations Flux objects and the objects they manage carry. */
export const Annotation = {
  /** Requests an immediate reconcile when its value differs from status.lastHandledReconcileAt. */
  ReconcileRequestedAt: 'reconcile.fluxcd.io/requestedAt',
  /** HelmRelease: one-off forced install/upgrade; must equal the requestedAt token. */
  ReconcileForceAt: 'reconcile.fluxcd.io/forceAt',
  /** HelmRelease: reset failure counters; must equal the requestedAt token. */
  ReconcileResetAt: 'reconcile.fluxcd.io/resetAt',
  /** `disabled`: the Kustomization neither applies nor prunes the object (also a label). */
  KustomizeReconcile: 'kustomize.toolkit.fluxcd.io/reconcile',
  /** Server-side apply policy: Override (default), Merge, IfNotPresent or Ignore. */
  KustomizeSSA: 'kustomize.toolkit.fluxcd.io/ssa',
  /** `enabled`: recreate the object when an immutable field changes. */
  KustomizeForce: 'kustomize.toolkit.fluxcd.io/force',
  /** `disabled`: never garbage-collect the object. */
  KustomizePrune: 'kustomize.toolkit.fluxcd.io/prune',
  /** `disabled`: skip post-build variable substitution for the object. */
  KustomizeSubstitute: 'kustomize.toolkit.fluxcd.io/substitute',
  /** `disabled`: skip SOPS decryption for the object. */
  KustomizeDecrypt: 'kustomize.toolkit.fluxcd.io/decrypt',
  /** `disabled`: exclude a Helm-rendered object from drift detection (also a label). */
  HelmDriftDetection: 'helm.toolkit.fluxcd.io/driftDetection',
  /** Prefix of annotations copied into every event's metadata. */
  EventMetadataPrefix: 'event.toolkit.fluxcd.io/',
} as const;

/** Labels Flux sets or reads. */
export const Label = {
  /** Name of the Kustomization that applied the object. */
  KustomizeName: 'kustomize.toolkit.fluxcd.io/name',
  /** Namespace of the Kustomization that applied the object. */
  KustomizeNamespace: 'kustomize.toolkit.fluxcd.io/namespace',
  /** Name of the HelmRelease that rendered the object. */
  HelmName: 'helm.toolkit.fluxcd.io/name',
  /** Namespace of the HelmRelease that rendered the object. */
  HelmNamespace: 'helm.toolkit.fluxcd.io/namespace',
  /** `Enabled`: changes to this ConfigMap/Secret trigger the objects that reference it. */
  ReconcileWatch: 'reconcile.fluxcd.io/watch',
  /** The shard (controller replica) that reconciles the object. */
  ShardKey: 'sharding.fluxcd.io/key',
} as const;

/** The finalizer every reconciled Flux object carries. */
export const Finalizer = 'finalizers.fluxcd.io';

/** The field manager for the objects a controller applies (e.g. `kustomize-controller`). */
export function applyFieldManager(controller: string): string {
  return controller;
}

/** The field manager for a controller's status and finalizer writes (e.g. `gotk-kustomize-controller`). */
export function statusFieldManager(controller: string): string {
  return `gotk-${controller}`;
}

/** The field manager whose edits kustomize-controller leaves alone (Flux docs use it for kubectl). */
export const FluxClientSideApplyManager = 'flux-client-side-apply';
