/**
 * Kustomization (`kustomize.toolkit.fluxcd.io/v1`): builds a path of a source artifact with
 * kustomize and server-side applies the result. The story, top to bottom:
 *
 *   lifecycle (deleted → prune the inventory per deletionPolicy; finalizer; suspended)
 *   → dependencies Ready (or their readyExpr) → the target cluster and identity (spec.kubeConfig,
 *   the tenant's service account) → fetch the source artifact → render it (@eddy/kustomize:
 *   SOPS decryption, kustomize build, substitution) → apply → prune stale objects → health
 *   checks (kstatus, or the spec's CEL expressions) → inventory, history and Ready
 *
 * As Flux's, a failure after the dependency check is retried after `spec.retryInterval`
 * (default `spec.interval`) rather than with exponential backoff.
 */
import { ConditionType, Label, Reason, parseDuration, type Kustomization, type ResourceRef } from '@eddy/api';
import {
  Deadline,
  KubeApiError,
  ObjectClient,
  ReconcileError,
  StallingError,
  WaitingError,
  deleteCondition,
  impersonatingKubeConfig,
  markFalse,
  markTrue,
  remoteKubeConfig,
  tenantServiceAccount,
  type RemoteKubeConfigOptions,
  type ReconcileContext,
  type ReconcileResult,
  type Reconciler,
} from '@eddy/runtime';
import {
  ApplyError,
  HealthCheckError,
  InvalidCelExpressionError,
  MissingKindError,
  ResourceManager,
  celStatusReader,
  deleteAll,
  deleteStale,
  diff,
  entryFor,
  refOf,
  splitApiVersion,
  waitForSet,
  type ChangeSet,
  type ObjectRef,
  type StatusReader,
} from '@eddy/ssa';
import { collectVariables, loadDecryptor, render } from '@eddy/kustomize';
import type { KubeConfig } from '@kubernetes/client-node';
import { checkDependencies, type KustomizationLookup } from '../check-dependencies.ts';
import { withArtifact, type SourceLookup } from '../fetch-artifact.ts';
import { digestOf, recordSnapshot } from '../history.ts';

/** The field manager of applied objects, as Flux's. */
export const kustomizeFieldManager = 'kustomize-controller';

/** What the Kustomization reconciler needs. */
export interface KustomizationReconcilerDeps {
  /** Path of the `kustomize` binary. */
  kustomizeBin: string;
  /** Environment for the kustomize process (PATH to find it, HOME), from main.ts. */
  toolEnv: Record<string, string>;
  noCrossNamespaceRefs: boolean;
  defaultServiceAccount: string;
  requeueDependencyMs: number;
  /** Objects applied at once (`--concurrent-ssa`). */
  concurrentSsa: number;
  /** Largest artifact accepted, in bytes. */
  maxArtifactBytes: number;
  /** Finds a Kustomization (a dependency) in the controller's cache. */
  lookup: KustomizationLookup;
  /** Finds a source (GitRepository, OCIRepository, Bucket) in the controller's cache. */
  lookupSource: SourceLookup;
  /** `--insecure-kubeconfig-exec` / `--insecure-kubeconfig-tls`: what a `spec.kubeConfig` kubeconfig may use. */
  remoteKubeConfig?: RemoteKubeConfigOptions;
}

/** One reconciliation in flight: when it started and, once built, what it will apply. */
interface Attempt {
  startedAt: Date;
  built?: { digest: string; revision: string; originRevision?: string | undefined };
}

/** The artifact metadata key of the revision an OCI artifact was built from. */
const originRevisionKey = 'org.opencontainers.image.revision';

/** The labels that mark an object as applied by this Kustomization. */
function ownerLabels(obj: Kustomization): Record<string, string> {
  return { [Label.KustomizeName]: obj.metadata.name ?? '', [Label.KustomizeNamespace]: obj.metadata.namespace ?? '' };
}

/** The CEL status reader of `spec.healthCheckExprs`, if any; an invalid expression stalls (InvalidCELExpression) until the spec changes. */
function compileHealthCheckExprs(obj: Kustomization): StatusReader | undefined {
  const exprs = obj.spec.healthCheckExprs ?? [];
  if (exprs.length === 0) return undefined;
  try {
    return celStatusReader(exprs);
  } catch (err) {
    if (err instanceof InvalidCelExpressionError) throw new StallingError(Reason.InvalidCELExpression, err.message);
    throw err;
  }
}

/** The Kustomization reconciler. */
export class KustomizationReconciler implements Reconciler<Kustomization> {
  private readonly deps: KustomizationReconcilerDeps;

  constructor(deps: KustomizationReconcilerDeps) {
    this.deps = deps;
  }

  async reconcile(obj: Kustomization, ctx: ReconcileContext): Promise<ReconcileResult> {
    const inventory = obj.status?.inventory?.entries ?? [];
    // Lifecycle.
    if (obj.metadata.deletionTimestamp) {
      const kubeConfig = await this.targetKubeConfig(obj, ctx);
      const changes = await deleteAll(kubeConfig, inventory, {
        policy: obj.spec.deletionPolicy ?? 'MirrorPrune',
        prune: obj.spec.prune,
        fieldManager: kustomizeFieldManager,
        signal: ctx.signal,
        ownerLabels: ownerLabels(obj),
      });
      const failed = changes.filter((c) => c.action === 'failed');
      if (failed.length) throw new ReconcileError(Reason.PruneFailed, failed.map((c) => `${c.subject}: ${c.reason ?? 'delete failed'}`).join('\n'));
      return await ctx.finalizeDeletion();
    }
    await ctx.ensureFinalizer();
    if (obj.spec.suspend) return ctx.suspended();

    checkDependencies(obj, this.deps.lookup, this.deps);
    const kubeConfig = await this.targetKubeConfig(obj, ctx);

    const intervalMs = parseDuration(obj.spec.interval).milliseconds;
    const retryIntervalMs = obj.spec.retryInterval ? parseDuration(obj.spec.retryInterval).milliseconds : intervalMs;
    const attempt: Attempt = { startedAt: new Date() };
    try {
      const result = await this.reconcileRevision(obj, ctx, kubeConfig, inventory, intervalMs, attempt);
      this.recordHistory(obj, attempt, Reason.ReconciliationSucceeded);
      return result;
    } catch (err) {
      // Flux retries a failed build, apply or health check after spec.retryInterval; the
      // runtime records a WaitingError as Ready=False with its reason but sends no event.
      if (!(err instanceof ReconcileError)) throw err;
      this.recordHistory(obj, attempt, err.reason);
      if (err instanceof HealthCheckError) markFalse(obj, ConditionType.Healthy, err.reason, err.message);
      ctx.event('Warning', err.reason, err.message);
      throw new WaitingError(err.reason, err.message, retryIntervalMs, { cause: err });
    }
  }

  /** Fetch, build, apply, prune and health-check the source's current revision; `attempt` learns what was built. */
  private async reconcileRevision(obj: Kustomization, ctx: ReconcileContext, kubeConfig: KubeConfig, inventory: readonly ResourceRef[], intervalMs: number, attempt: Attempt): Promise<ReconcileResult> {
    const timeoutMs = obj.spec.timeout ? parseDuration(obj.spec.timeout).milliseconds : intervalMs;
    using deadline = new Deadline(timeoutMs, ctx.signal);
    const signal = deadline.signal;
    const statusReader = compileHealthCheckExprs(obj);

    // Fetch the source artifact, build it, and apply the objects.
    const { revision, objects, changeSet } = await withArtifact(
      obj,
      { lookupSource: this.deps.lookupSource, noCrossNamespaceRefs: this.deps.noCrossNamespaceRefs, requeueDependencyMs: this.deps.requeueDependencyMs, maxBytes: this.deps.maxArtifactBytes, timeoutMs, signal },
      async ({ artifact, dir }) => {
        (obj.status ??= {}).lastAttemptedRevision = artifact.revision;
        await ctx.progress(`Building manifests for revision ${artifact.revision}`);
        // The SOPS keys are read as the controller, as Flux's; the post-build variables as the tenant.
        const decryptor = await loadDecryptor(new ObjectClient(ctx.kubeConfig), obj.metadata.namespace ?? '', obj.spec.decryption, signal);
        const variables = obj.spec.postBuild ? await collectVariables(new ObjectClient(this.variablesKubeConfig(obj, ctx)), obj.metadata.namespace ?? '', obj.spec.postBuild, signal) : {};
        const manifests = await render(dir, obj.spec, artifact.revision, { kustomizeBin: this.deps.kustomizeBin, env: this.deps.toolEnv, timeoutMs, signal, decryptor, variables });
        attempt.built = { digest: digestOf(manifests), revision: artifact.revision, originRevision: artifact.metadata?.[originRevisionKey] };
        await ctx.progress(`Applying revision ${artifact.revision}`);
        const changeSet = await this.apply(obj, kubeConfig, ctx.log, manifests, timeoutMs, signal);
        return { revision: artifact.revision, objects: manifests, changeSet };
      },
    );

    const changeLog = changeSet.changes().map((e) => `${e.subject} ${e.action}`);
    // Prune what the last revision applied and this one does not; failed entries stay.
    const entries = objects.map((o) => entryFor(o));
    const kept = await this.prune(obj, kubeConfig, inventory, entries, signal, changeLog);
    (obj.status ??= {}).inventory = { entries: [...entries, ...kept] };

    if (changeLog.length) ctx.event('Normal', Reason.Progressing, changeLog.join('\n'), { revision });

    // Health checks: every applied object with spec.wait, else spec.healthChecks.
    const refs: ObjectRef[] = obj.spec.wait
      ? objects.map((o) => refOf(o))
      : (obj.spec.healthChecks ?? []).map((h) => ({ ...splitApiVersion(h.apiVersion ?? ''), kind: h.kind, name: h.name, namespace: h.namespace ?? obj.metadata.namespace ?? '' }));
    if (refs.length) {
      await ctx.progress(`Running health checks for revision ${revision} with a timeout of ${obj.spec.timeout ?? obj.spec.interval}`);
      // The apply's answers are the first look at each object: no read for what is already Current.
      const known = new Map(changeSet.entries.flatMap((e) => (e.object ? [[e.subject, e.object] as const] : [])));
      await waitForSet(kubeConfig, refs, { signal: ctx.signal, timeoutMs, known, ...(statusReader ? { statusReader } : {}) });
      markTrue(obj, ConditionType.Healthy, Reason.Succeeded, 'Health check passed');
    } else {
      deleteCondition(obj, ConditionType.Healthy);
    }

    obj.status.lastAppliedRevision = revision;
    if (attempt.built?.originRevision) obj.status.lastAppliedOriginRevision = attempt.built.originRevision;
    else delete obj.status.lastAppliedOriginRevision;
    markTrue(obj, ConditionType.Ready, Reason.ReconciliationSucceeded, `Applied revision: ${revision}`);
    return ctx.requeueAtInterval();
  }

  /** Records the attempt in `status.history` once something was built (a failed fetch or build leaves no snapshot). */
  private recordHistory(obj: Kustomization, attempt: Attempt, status: string): void {
    if (!attempt.built) return;
    const { digest, revision, originRevision } = attempt.built;
    (obj.status ??= {}).history = recordSnapshot(obj.status.history, { digest, revision, status, startedAt: attempt.startedAt, finishedAt: new Date(), ...(originRevision ? { originRevision } : {}) });
  }

  /**
   * The cluster and identity that apply, prune and health-check: the remote cluster of
   * `spec.kubeConfig` when set, else this one; as the tenant's service account when there is
   * one (on a remote cluster, the account of that name in the namespace of the same name).
   */
  private async targetKubeConfig(obj: Kustomization, ctx: ReconcileContext): Promise<KubeConfig> {
    const namespace = obj.metadata.namespace ?? '';
    const base = obj.spec.kubeConfig ? await this.remoteCluster(obj, ctx) : ctx.kubeConfig;
    const sa = tenantServiceAccount(obj.spec.serviceAccountName, this.deps.defaultServiceAccount);
    return sa ? impersonatingKubeConfig(base, namespace, sa) : base;
  }

  /**
   * The identity that reads `postBuild.substituteFrom` in the Kustomization's own namespace:
   * the tenant when it applies here; the controller when it applies to a remote cluster, where
   * its service account lives.
   */
  private variablesKubeConfig(obj: Kustomization, ctx: ReconcileContext): KubeConfig {
    const sa = tenantServiceAccount(obj.spec.serviceAccountName, this.deps.defaultServiceAccount);
    return sa && !obj.spec.kubeConfig ? impersonatingKubeConfig(ctx.kubeConfig, obj.metadata.namespace ?? '', sa) : ctx.kubeConfig;
  }

  /** The client configuration of `spec.kubeConfig.secretRef`, read as the controller. */
  private async remoteCluster(obj: Kustomization, ctx: ReconcileContext): Promise<KubeConfig> {
    const ref = obj.spec.kubeConfig;
    if (!ref?.secretRef) {
      // Cloud workload identity (spec.kubeConfig.configMapRef) needs a cloud provider's token service.
      throw new StallingError(Reason.ReconciliationFailed, 'spec.kubeConfig.configMapRef (cloud provider workload identity) is not supported by Eddy; use spec.kubeConfig.secretRef with a kubeconfig');
    }
    const namespace = obj.metadata.namespace ?? '';
    const secret = await new ObjectClient(ctx.kubeConfig).find<{ data?: Record<string, string> }>({ apiVersion: 'v1', kind: 'Secret', metadata: { name: ref.secretRef.name, namespace } }, ctx.signal);
    const what = `'${namespace}/${ref.secretRef.name}'`;
    if (!secret) throw new ReconcileError(Reason.ReconciliationFailed, `the kubeconfig Secret ${what} of spec.kubeConfig.secretRef was not found`);
    const keys = ref.secretRef.key ? [ref.secretRef.key] : ['value', 'value.yaml'];
    const key = keys.find((k) => secret.data?.[k] !== undefined);
    if (!key) throw new ReconcileError(Reason.ReconciliationFailed, `Secret ${what} has no key ${keys.map((k) => `'${k}'`).join(' or ')} holding a kubeconfig`);
    return remoteKubeConfig(Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8'), what, this.deps.remoteKubeConfig);
  }

  /** Server-side applies the objects in stages and returns what happened to each. */
  private async apply(obj: Kustomization, kubeConfig: KubeConfig, log: ReconcileContext['log'], objects: Record<string, unknown>[], timeoutMs: number, signal: AbortSignal): Promise<ChangeSet> {
    const manager = new ResourceManager({ kubeConfig, fieldManager: kustomizeFieldManager, logger: log, ownerLabels: ownerLabels(obj) });
    try {
      return await manager.applyAllStaged(objects, { force: obj.spec.force ?? false, concurrency: this.deps.concurrentSsa, timeout: { milliseconds: timeoutMs }, signal });
    } catch (err) {
      if (err instanceof MissingKindError) throw new WaitingError(Reason.ReconciliationFailed, err.message, this.deps.requeueDependencyMs);
      if (err instanceof ApplyError || err instanceof KubeApiError) throw new ReconcileError(Reason.ReconciliationFailed, err.message, { cause: err });
      throw err;
    }
  }

  /** Deletes stale inventory entries when `spec.prune`; returns the entries that could not be deleted (kept in the inventory). */
  private async prune(obj: Kustomization, kubeConfig: KubeConfig, oldEntries: readonly ResourceRef[], newEntries: readonly ResourceRef[], signal: AbortSignal, changeLog: string[]): Promise<ResourceRef[]> {
    const stale = diff(oldEntries, newEntries);
    if (!obj.spec.prune || stale.length === 0) return [];
    const changes = await deleteStale(kubeConfig, stale, { fieldManager: kustomizeFieldManager, signal, ownerLabels: ownerLabels(obj) });
    for (const c of changes) if (c.action === 'deleted') changeLog.push(`${c.subject} deleted`);
    return changes.filter((c) => c.action === 'failed').map((c) => c.entry);
  }
}

