/**
 * @eddy/source-controller: GitRepository and OCIRepository to digest-verified artifacts served
 * over HTTP. Run it with `node packages/source-controller/src/main.ts`; see docs/sources/.
 */
export { registerSourceReconcilers, type SourceReconcilersOptions } from './register.ts';
export { sourceControllerRules, type PolicyRule } from './rbac.ts';
export { Storage, type StorageOptions } from './storage/storage.ts';
export { ArtifactServer } from './storage/server.ts';
