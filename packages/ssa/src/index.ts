/**
 * @eddy/ssa: the server-side apply engine shared by kustomize-controller, helm-controller and
 * the CLI: staged apply, dry-run diff into a change set, field-manager cleanup, inventory,
 * prune and kstatus health.
 */
export * from './apply/resource-manager.ts';
export * from './apply/change-set.ts';
export * from './apply/errors.ts';
export { subjectOf, type KubeObject } from './apply/object.ts';
export { withoutServerFields } from './apply/diff.ts';
export * from './inventory/inventory.ts';
export * from './inventory/prune.ts';
export * from './health/cel.ts';
export * from './health/kstatus.ts';
export * from './health/wait.ts';
