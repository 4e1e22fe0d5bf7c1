/** Registering source-controller's reconcilers with a manager (used by main.ts and the tests). */
import type { GitRepository } from '@eddy/api';
import type { Manager } from '@eddy/runtime';
import { GitRepositoryReconciler } from './gitrepository/reconciler.ts';
import { gitRepositoryKind, ociRepositoryKind } from './kinds.ts';
import { OCIRepositoryReconciler } from './ocirepository/reconciler.ts';
import type { Storage } from './storage/storage.ts';

/** Options of {@link registerSourceReconcilers}. */
export interface SourceReconcilersOptions {
  storage: Storage;
  gitEnv: Record<string, string>;
  requeueDependencyMs: number;
}

/**
 * Adds the GitRepository and OCIRepository controllers. A GitRepository is also reconciled
 * when one it includes changes (an index of includes on the shared informer).
 */
export function registerSourceReconcilers(manager: Manager, opts: SourceReconcilersOptions): void {
  const gitRepositories = manager.informer<GitRepository>(gitRepositoryKind);
  gitRepositories.addIndex('include', (o) => (o.spec.include ?? []).map((i) => `${o.metadata.namespace}/${i.repository.name}`));
  const git = manager.addController(
    gitRepositoryKind,
    new GitRepositoryReconciler({
      storage: opts.storage,
      lookup: (namespace, name) => gitRepositories.get(namespace, name),
      gitEnv: opts.gitEnv,
      requeueDependencyMs: opts.requeueDependencyMs,
    }),
  );
  git.watch(gitRepositories, (changed) =>
    gitRepositories
      .byIndex('include', `${changed.metadata.namespace}/${changed.metadata.name}`)
      .map((o) => ({ namespace: o.metadata.namespace ?? '', name: o.metadata.name ?? '' })),
  );
  manager.addController(ociRepositoryKind, new OCIRepositoryReconciler({ storage: opts.storage }));
}
