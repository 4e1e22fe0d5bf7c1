/**
 * @eddy/ssa: the server-side apply engine shared by kustomize-controller, helm-controller and
 * the CLI: staged apply, dry-run diff into a change set, inventory, prune and kstatus health.
 */
export {};
