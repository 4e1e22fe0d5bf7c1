/**
 * GitRepository (`source.toolkit.fluxcd.io/v1`): follows a Git reference and stores each new
 * revision as an artifact. The story, top to bottom:
 *
 *   lifecycle (deleted → remove artifacts; finalizer; suspended)
 *   → credentials → included repositories ready?
 *   → remote revision unchanged and artifact still stored? done, no clone
 *   → checkout → verify signatures → copy includes → archive → Ready
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ConditionType, Reason, parseDuration, type GitRepository } from '@eddy/api';
import { ReconcileFailure, StallingError, deleteCondition, gitAuthFromSecret, markFalse, markTrue, type ReconcileContext, type ReconcileResult, type Reconciler } from '@eddy/runtime';
import { checkout } from '../git/checkout.ts';
import { verifySignatures } from '../git/verify.ts';
import { readSecret } from '../secrets.ts';
import { markArtifactStored, step } from '../source-conditions.ts';
import { loadIgnoreRules } from '../storage/ignore.ts';
import type { Storage } from '../storage/storage.ts';
import { copyIncludes, includedArtifacts } from './include.ts';

/** What the GitRepository reconciler needs. */
export interface GitRepositoryReconcilerDeps {
  storage: Storage;
  /** Reads another GitRepository from the cache (for `spec.include`). */
  lookup: (namespace: string, name: string) => GitRepository | undefined;
  /** Environment for the git processes (PATH, proxies), from main.ts. */
  gitEnv: Record<string, string>;
  /** `--requeue-dependency`: how soon to look again when an included repository has no artifact. */
  requeueDependencyMs: number;
}

/** The spec fields an artifact was built with; a change means a new artifact even at the same revision. */
function builtWith(obj: GitRepository): string {
  const s = obj.spec;
  return JSON.stringify([s.ignore ?? null, s.include ?? [], s.recurseSubmodules ?? false, s.sparseCheckout ?? []]);
}

function observedBuild(obj: GitRepository): string {
  const s = obj.status ?? {};
  return JSON.stringify([s.observedIgnore ?? null, s.observedInclude ?? [], s.observedRecurseSubmodules ?? false, s.observedSparseCheckout ?? []]);
}

/**
 * Stalls on the fields Eddy does not implement yet, rather than ignoring them: a user who set
 * them expects them to act.
 */
function refuseUnsupported(obj: GitRepository): void {
  const provider = obj.spec.provider ?? 'generic';
  if (provider !== 'generic') {
    throw new StallingError(Reason.InvalidProviderConfiguration, `spec.provider '${provider}' is not supported by Eddy yet; use provider 'generic' with spec.secretRef`);
  }
  if (obj.spec.proxySecretRef) {
    throw new StallingError(Reason.InvalidProviderConfiguration, 'spec.proxySecretRef is not supported by Eddy yet; remove it to connect directly');
  }
}

/** The GitRepository reconciler. */
export class GitRepositoryReconciler implements Reconciler<GitRepository> {
  private readonly deps: GitRepositoryReconcilerDeps;

  constructor(deps: GitRepositoryReconcilerDeps) {
    this.deps = deps;
  }

  async reconcile(obj: GitRepository, ctx: ReconcileContext): Promise<ReconcileResult> {
    const { storage } = this.deps;
    const { namespace = '', name = '' } = obj.metadata;
    // Lifecycle.
    if (obj.metadata.deletionTimestamp) {
      await storage.remove('GitRepository', namespace, name);
      return await ctx.finalizeDeletion();
    }
    await ctx.ensureFinalizer();
    if (obj.spec.suspend) return ctx.suspended();
    refuseUnsupported(obj);

    const timeoutMs = parseDuration(obj.spec.timeout ?? '60s').milliseconds;
    const git = { timeoutMs, signal: ctx.signal, env: this.deps.gitEnv, logger: ctx.log };

    // Credentials from spec.secretRef (none for public repositories).
    const auth = await step(obj, ConditionType.FetchFailed, async () => {
      const ref = obj.spec.secretRef;
      const data = ref ? await readSecret(ctx.kubeConfig, namespace, ref.name, 'spec.secretRef') : undefined;
      return gitAuthFromSecret(obj.spec.url, data, ref?.name);
    });

    // Included repositories must have artifacts first.
    const includes = await step(obj, ConditionType.IncludeUnavailable, async () => includedArtifacts(obj, this.deps.lookup, this.deps.requeueDependencyMs));
    const includesChanged = JSON.stringify(includes.map((a) => a.digest)) !== JSON.stringify((obj.status?.includedArtifacts ?? []).map((a) => a.digest));

    // Checkout, skipped when the remote still points at the stored revision.
    const current = obj.status?.artifact;
    const reusable = current && !includesChanged && builtWith(obj) === observedBuild(obj) && (await storage.exists(current));
    const dir = await mkdtemp(join(storage.root, '.checkout-'));
    try {
      const result = await step(obj, ConditionType.FetchFailed, () =>
        checkout(obj.spec.url, obj.spec.ref, dir, {
          ...git,
          ...(auth ? { auth } : {}),
          recurseSubmodules: obj.spec.recurseSubmodules ?? false,
          ...(obj.spec.sparseCheckout?.length ? { sparseCheckout: obj.spec.sparseCheckout } : {}),
          ...(reusable ? { lastRevision: current.revision } : {}),
        }),
      );
      if (result.skipped && current) {
        markArtifactStored(obj, `stored artifact for revision '${current.revision}'`);
        return ctx.requeueAtInterval();
      }
      await ctx.progress(`building artifact: new upstream revision '${result.revision}'`);

      // Verify the commit and/or tag signatures.
      if (obj.spec.verify) {
        const verify = obj.spec.verify;
        try {
          const keys = await readSecret(ctx.kubeConfig, namespace, verify.secretRef.name, 'spec.verify.secretRef');
          const verified = await verifySignatures(dir, result.commit, {
            ...git,
            mode: verify.mode ?? 'HEAD',
            keys,
            secretName: verify.secretRef.name,
            ...(result.tag ? { tag: result.tag } : {}),
          });
          markTrue(obj, ConditionType.SourceVerified, Reason.Succeeded, verified.message);
        } catch (err) {
          if (err instanceof ReconcileFailure) markFalse(obj, ConditionType.SourceVerified, err.reason, err.message);
          throw err;
        }
      } else {
        deleteCondition(obj, ConditionType.SourceVerified);
      }

      // Copy the included repositories' content, then archive.
      await step(obj, ConditionType.IncludeUnavailable, () => copyIncludes(dir, obj.spec.include ?? [], includes, storage, ctx.signal));
      const artifact = storage.artifactFor('GitRepository', namespace, name, result.revision, `${result.commit}.tar.gz`);
      const stored = await step(obj, ConditionType.StorageOperationFailed, async () =>
        storage.archive(artifact, dir, await loadIgnoreRules(dir, obj.spec.ignore, { signal: ctx.signal }), ctx.signal),
      );
      await storage.garbageCollect('GitRepository', namespace, name, stored).catch((err: unknown) => ctx.log.error('garbage collection failed', { error: err }));

      const status = (obj.status ??= {});
      const isNew = status.artifact?.revision !== stored.revision || status.artifact?.digest !== stored.digest;
      status.artifact = stored;
      status.includedArtifacts = includes.length ? includes : undefined;
      status.observedIgnore = obj.spec.ignore;
      status.observedInclude = obj.spec.include;
      status.observedRecurseSubmodules = obj.spec.recurseSubmodules;
      status.observedSparseCheckout = obj.spec.sparseCheckout;
      if (obj.spec.verify) status.sourceVerificationMode = obj.spec.verify.mode ?? 'HEAD';
      else delete status.sourceVerificationMode;
      // Drop what is unset, so the status stays as small as the spec.
      for (const key of Object.keys(status) as (keyof typeof status)[]) if (status[key] === undefined) delete status[key];
      const message = `stored artifact for revision '${stored.revision}'`;
      markArtifactStored(obj, message);
      if (isNew) ctx.event('Normal', Reason.NewArtifact, message, { revision: stored.revision, digest: stored.digest });
      return ctx.requeueAtInterval();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
