/**
 * The resource manager: server-side applies objects of any kind the way Flux's
 * `fluxcd/pkg/ssa` does. Each object is dry-run applied and compared with the live object, and
 * only objects that drifted are written, so a steady-state reconcile makes no writes. Objects
 * are applied in stages (definitions, classes, the rest), per-object policies come from
 * annotations, immutable-field changes can recreate the object, and fields taken by kubectl
 * edits are reclaimed so the next apply reverts them.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Duration } from '@eddy/api';
import { KubeApiError, ObjectClient, UnknownKindError, isNotFound, mapLimit, redactUrls, withDeadline, type Logger } from '@eddy/runtime';
import type { KubeConfig } from '@kubernetes/client-node';
import { ChangeSet, type ChangeSetEntry } from './change-set.ts';
import { changedPaths } from './diff.ts';
import { ApplyError, ImmutableFieldError, MissingKindError, isImmutableError } from './errors.ts';
import { cleanupManagers, managedFieldsPatch } from './field-managers.ts';
import { isRecord, subjectOf, toKubeObject, withStringDataAsData, type KubeObject } from './object.ts';
import { applyPolicy, forceAnnotated, isCrd, stages, withLabels } from './policy.ts';

/** Options of a {@link ResourceManager}. */
export interface ResourceManagerOptions {
  kubeConfig: KubeConfig;
  /** The field manager of every apply, e.g. `kustomize-controller`. */
  fieldManager: string;
  logger: Logger;
  /** Labels stamped on every applied object, e.g. `kustomize.toolkit.fluxcd.io/name` and `/namespace`. */
  ownerLabels?: Record<string, string>;
  /** Bound of each API request in milliseconds (default 30 s). */
  requestTimeoutMs?: number;
}

/** Options of one apply call. */
export interface ApplyOptions {
  /** Recreate objects whose immutable fields change (a Kustomization's `spec.force`). */
  force?: boolean;
  /** Further field managers whose fields are reclaimed (`--override-manager`). */
  overrideManagers?: readonly string[];
  /** Objects applied at once (Flux's `--concurrent-ssa`; default 4). */
  concurrency?: number;
  /** Bound of the whole call, waits included (default 5 minutes). */
  timeout?: Duration;
  /** Cancels the call. */
  signal?: AbortSignal;
}

/** Default bound of one apply call. */
const defaultTimeoutMs = 5 * 60_000;
/** How often waits (CRD established, object deleted) look again. */
const pollIntervalMs = 500;

/** Server-side applies objects with Flux's semantics (see the module comment). */
export class ResourceManager {
  private readonly client: ObjectClient;
  private readonly fieldManager: string;
  private readonly logger: Logger;
  private readonly ownerLabels: Readonly<Record<string, string>>;

  constructor(opts: ResourceManagerOptions) {
    // Namespaced objects without a namespace go to `default`, as kubectl does with manifests.
    this.client = new ObjectClient(opts.kubeConfig, { defaultNamespace: 'default', ...(opts.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: opts.requestTimeoutMs }) });
    this.fieldManager = opts.fieldManager;
    this.logger = opts.logger;
    this.ownerLabels = { ...opts.ownerLabels };
  }

  /**
   * What applying the object would do, without writing: `created` when it does not exist,
   * `configured` (with the changed fields) when the server's dry-run apply differs from the live
   * object, else `unchanged`. Fields taken by kubectl edits are not counted (see {@link apply}).
   */
  async diff(obj: Record<string, unknown>, opts: Pick<ApplyOptions, 'timeout' | 'signal'> = {}): Promise<ChangeSetEntry> {
    return (await this.preview(obj, opts)).entry;
  }

  /**
   * {@link diff} with the two objects it compared: the live object (undefined when it does not
   * exist) and the server's dry-run apply of `obj` onto it (`merged`), so a caller can show
   * exactly which fields change (`eddy diff`).
   */
  async preview(obj: Record<string, unknown>, opts: Pick<ApplyOptions, 'timeout' | 'signal'> = {}): Promise<{ entry: ChangeSetEntry; live: KubeObject | undefined; merged: KubeObject }> {
    return await bounded(opts, async (signal) => {
      const desired = this.desired(obj);
      const { live, dryRun } = await this.dryRunAgainstLive(desired, await this.getLive(desired, signal), undefined, signal);
      return { entry: this.compare(desired, live, dryRun), live, merged: dryRun };
    });
  }

  /** Applies one object (see {@link applyAll}) and returns its change-set entry. */
  async apply(obj: Record<string, unknown>, opts: ApplyOptions = {}): Promise<ChangeSetEntry> {
    return await bounded(opts, (signal) => this.applyOne(obj, opts, signal));
  }

  /**
   * Applies the objects, at most `opts.concurrency` at a time: each one whose dry-run differs
   * from the live object is server-side applied (forcing conflicts) as the field manager;
   * unchanged objects are not written. Honours the `kustomize.toolkit.fluxcd.io/ssa` policy
   * and, on an immutable-field change, `opts.force` or the `kustomize.toolkit.fluxcd.io/force`
   * annotation. Throws the first failure: {@link MissingKindError}, {@link ImmutableFieldError}
   * or {@link ApplyError}.
   */
  async applyAll(objs: readonly Record<string, unknown>[], opts: ApplyOptions = {}): Promise<ChangeSet> {
    return await bounded(opts, (signal) => this.applyBatch(objs, opts, signal));
  }

  /**
   * Applies the objects in stages: first CustomResourceDefinitions, Namespaces, ClusterRoles
   * and ClusterRoleBindings, then waits until the CRDs are established and served; then kinds
   * whose name ends in `Class`; then everything else. So custom resources can be applied
   * together with their definitions. The change set lists stage by stage.
   */
  async applyAllStaged(objs: readonly Record<string, unknown>[], opts: ApplyOptions = {}): Promise<ChangeSet> {
    const [definitions, classes, rest] = stages(objs.map((o) => toKubeObject(o)));
    return await bounded(opts, async (signal) => {
      const changeSet = new ChangeSet();
      if (definitions.length > 0) {
        changeSet.append(await this.applyBatch(definitions, opts, signal));
        // Custom resources of the last stage need their kinds served first.
        await this.waitForCrds(definitions.filter(isCrd), signal);
      }
      if (classes.length > 0) changeSet.append(await this.applyBatch(classes, opts, signal));
      if (rest.length > 0) changeSet.append(await this.applyBatch(rest, opts, signal));
      return changeSet;
    });
  }

  /**
   * As Flux's: every object of the batch is dry-run first, and only when all pass are the
   * changed ones written, so an invalid object leaves the whole batch as it was (none of its
   * new objects created, untracked, beside the last good revision).
   */
  private async applyBatch(objs: readonly Record<string, unknown>[], opts: ApplyOptions, signal: AbortSignal): Promise<ChangeSet> {
    const concurrency = opts.concurrency ?? 4;
    const plans = await mapLimit(objs, concurrency, signal, (obj) => this.plan(obj, opts, signal));
    const entries = await mapLimit(plans, concurrency, signal, (plan) => this.execute(plan, signal));
    return new ChangeSet(entries);
  }

  /** Plans and carries out one object's apply. */
  private async applyOne(obj: Record<string, unknown>, opts: ApplyOptions, signal: AbortSignal): Promise<ChangeSetEntry> {
    return await this.execute(await this.plan(obj, opts, signal), signal);
  }

  /** What applying the object takes, decided by its dry run; writes nothing but a field-manager cleanup. */
  private async plan(obj: Record<string, unknown>, opts: ApplyOptions, signal: AbortSignal): Promise<Plan> {
    const desired = this.desired(obj);
    const subject = subjectOf(desired);
    const policy = applyPolicy(desired);
    if (policy === 'Ignore') return { step: 'done', entry: { subject, action: 'skipped' } };

    // The dry run comes first: it validates the object, and an object it would create comes
    // back without a resourceVersion, so a new object costs no read (two requests, not three).
    let dryRun: KubeObject;
    try {
      dryRun = await this.dryRun(desired, signal);
    } catch (err) {
      if (!(err instanceof ImmutableFieldError) || (!opts.force && !forceAnnotated(desired))) throw err;
      const existing = await this.getLive(desired, signal);
      if (!existing) throw err;
      return { step: 'recreate', desired, existing };
    }
    if (!dryRun.metadata.resourceVersion) return { step: 'write', desired, entry: { subject, action: 'created' } };
    if (policy === 'IfNotPresent') return { step: 'done', entry: { subject, action: 'skipped' } };

    let live = await this.getLive(desired, signal);
    // Reclaim fields kubectl edits took, so the apply below reverts them (Merge keeps them);
    // when that changed the object, the dry run is redone against it.
    if (live && policy === 'Override') {
      const cleaned = await this.cleanupFieldManagers(live, opts.overrideManagers ?? [], signal);
      if (cleaned !== live) dryRun = await this.dryRun(desired, signal);
      live = cleaned;
    }
    ({ live, dryRun } = await this.dryRunAgainstLive(desired, live, dryRun, signal));

    const entry = this.compare(desired, live, dryRun);
    if (entry.action === 'unchanged') return { step: 'done', entry: { ...entry, ...(live ? { object: live } : {}) } };
    return { step: 'write', desired, entry };
  }

  /** Carries out a plan and records its change-set entry, with the object the API server returned. */
  private async execute(plan: Plan, signal: AbortSignal): Promise<ChangeSetEntry> {
    switch (plan.step) {
      case 'done':
        return this.record(plan.entry);
      case 'write':
        return this.record({ ...plan.entry, object: await this.write(plan.desired, signal) });
      case 'recreate':
        return this.record({ subject: subjectOf(plan.desired), action: 'created', object: await this.recreate(plan.desired, plan.existing, signal) });
    }
  }

  /** The object to apply: checked, a Secret's stringData as data, with the owner labels stamped on. */
  private desired(obj: Record<string, unknown>): KubeObject {
    return withLabels(withStringDataAsData(toKubeObject(obj)), this.ownerLabels);
  }

  private compare(desired: KubeObject, live: KubeObject | undefined, dryRun: KubeObject): ChangeSetEntry {
    const subject = subjectOf(desired);
    if (!live) return { subject, action: 'created' };
    const paths = changedPaths(live, dryRun);
    return paths.length === 0 ? { subject, action: 'unchanged' } : { subject, action: 'configured', changedPaths: paths };
  }

  private record(entry: ChangeSetEntry): ChangeSetEntry {
    if (entry.action !== 'unchanged') this.logger.debug(`${entry.subject} ${entry.action}`, { changedPaths: entry.changedPaths });
    return entry;
  }

  /** The live object, or undefined when it does not exist. */
  private async getLive(obj: KubeObject, signal: AbortSignal): Promise<KubeObject | undefined> {
    try {
      return await this.client.get<KubeObject>(obj, signal);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw this.failure(obj, 'get', err);
    }
  }

  private async dryRun(obj: KubeObject, signal: AbortSignal): Promise<KubeObject> {
    try {
      return await this.client.apply<KubeObject>(obj, { fieldManager: this.fieldManager, force: true, dryRun: true }, signal);
    } catch (err) {
      throw this.failure(obj, 'dry-run', err);
    }
  }

  /**
   * The dry-run apply of `desired` together with the live object it was computed from. Other
   * writers (a controller adding an annotation or status) may change the object between the
   * read and the dry run, which would show as drift; the dry run keeps the resourceVersion it
   * started from, so on a mismatch the object is read and dry-run again (a few times).
   */
  private async dryRunAgainstLive(desired: KubeObject, live: KubeObject | undefined, firstDryRun: KubeObject | undefined, signal: AbortSignal): Promise<{ live: KubeObject | undefined; dryRun: KubeObject }> {
    let current = live;
    let dryRun = firstDryRun ?? (await this.dryRun(desired, signal));
    for (let attempt = 1; ; attempt++) {
      if (!current || dryRun.metadata.resourceVersion === current.metadata.resourceVersion || attempt >= 3) return { live: current, dryRun };
      current = await this.getLive(desired, signal);
      dryRun = await this.dryRun(desired, signal);
    }
  }

  private async write(obj: KubeObject, signal: AbortSignal): Promise<KubeObject> {
    try {
      return await this.client.apply<KubeObject>(obj, { fieldManager: this.fieldManager, force: true, dryRun: false }, signal);
    } catch (err) {
      throw this.failure(obj, 'apply', err);
    }
  }

  /**
   * Moves the fields of kubectl and the other cleanup managers into our Apply entry (see
   * field-managers.ts) and returns the live object afterwards. When another writer changed the
   * object meanwhile the resourceVersion test fails; the object is read again and the cleanup
   * tried once more.
   */
  private async cleanupFieldManagers(live: KubeObject, overrideManagers: readonly string[], signal: AbortSignal): Promise<KubeObject> {
    const managers = cleanupManagers(this.fieldManager, overrideManagers);
    let current = live;
    for (let attempt = 1; ; attempt++) {
      const patch = managedFieldsPatch(current, this.fieldManager, managers, new Date());
      if (!patch) return current;
      try {
        const patched = await this.client.jsonPatch<KubeObject>(current, patch, {}, signal);
        this.logger.debug(`${subjectOf(current)} field managers cleaned up`);
        return patched;
      } catch (err) {
        const conflict = err instanceof KubeApiError && (err.code === 409 || err.code === 422);
        if (!conflict || attempt >= 2) throw this.failure(current, 'field manager cleanup', err);
        const reread = await this.getLive(current, signal);
        if (!reread) return current;
        current = reread;
      }
    }
  }

  /** Deletes the object (foreground: dependents first), waits until it is gone, and creates it again. */
  private async recreate(desired: KubeObject, live: KubeObject, signal: AbortSignal): Promise<KubeObject> {
    const subject = subjectOf(desired);
    this.logger.info(`${subject} has an immutable field change; recreating it`);
    try {
      await this.client.delete(live, 'Foreground', signal);
    } catch (err) {
      throw this.failure(desired, 'delete', err);
    }
    try {
      while (await this.getLive(desired, signal)) await delay(pollIntervalMs, undefined, { signal });
    } catch (err) {
      if (signal.aborted) throw new ApplyError(subject, `${subject} recreate failed: timed out waiting for the old object to be deleted`, { cause: err });
      throw err;
    }
    return await this.write(desired, signal);
  }

  /**
   * Waits until every CRD is Established and each of its served versions is in API discovery.
   * Throws an error naming the first CRD that is not when the call's time runs out.
   */
  private async waitForCrds(crds: readonly KubeObject[], signal: AbortSignal): Promise<void> {
    for (const crd of crds) {
      const subject = subjectOf(crd);
      let lastProblem = 'not yet read';
      try {
        for (;;) {
          lastProblem = await this.crdProblem(crd, signal);
          if (!lastProblem) break;
          await delay(pollIntervalMs, undefined, { signal });
        }
      } catch (err) {
        if (signal.aborted) throw new ApplyError(subject, `${subject} is not ready: ${lastProblem}`, { cause: err });
        throw err;
      }
    }
  }

  /** What keeps the CRD from being usable, or '' when it is Established and served. */
  private async crdProblem(crd: KubeObject, signal: AbortSignal): Promise<string> {
    const live = await this.getLive(crd, signal);
    if (!live) return 'not found';
    const conditions = isRecord(live['status']) && Array.isArray(live['status']['conditions']) ? (live['status']['conditions'] as unknown[]) : [];
    const established = conditions.find((c): c is Record<string, unknown> => isRecord(c) && c['type'] === 'Established');
    if (established?.['status'] !== 'True') {
      return `not Established${typeof established?.['message'] === 'string' && established['message'] ? `: ${established['message']}` : ''}`;
    }
    const spec = isRecord(live['spec']) ? live['spec'] : {};
    const group = typeof spec['group'] === 'string' ? spec['group'] : '';
    const kind = isRecord(spec['names']) && typeof spec['names']['kind'] === 'string' ? spec['names']['kind'] : '';
    const versions = Array.isArray(spec['versions']) ? spec['versions'].filter((v): v is Record<string, unknown> => isRecord(v) && v['served'] === true) : [];
    for (const v of versions) {
      const apiVersion = `${group}/${String(v['name'])}`;
      try {
        await this.client.resource(apiVersion, kind, signal);
      } catch (err) {
        if (err instanceof UnknownKindError) return `kind ${kind} not yet served in ${apiVersion}`;
        throw err;
      }
    }
    return '';
  }

  /** The error of a failed request about `obj`, naming the object and quoting the API server. */
  private failure(obj: KubeObject, step: string, err: unknown): Error {
    if (err instanceof ApplyError) return err;
    const subject = subjectOf(obj);
    if (err instanceof UnknownKindError) return new MissingKindError(subject, err.apiVersion, err.kind);
    if (isImmutableError(err)) {
      return new ImmutableFieldError(
        subject,
        `${subject} ${step} failed: ${err.message}; the object can only be recreated: set spec.force: true on the Kustomization or annotate the object with kustomize.toolkit.fluxcd.io/force: enabled`,
        { cause: err },
      );
    }
    // Transport errors may quote the server's URL; keep credentials out of the message.
    const why = redactUrls(err instanceof Error ? err.message : String(err));
    return new ApplyError(subject, `${subject} ${step} failed: ${why}`, { cause: err });
  }
}

/**
 * What applying one object takes, decided before anything of its batch is written: nothing
 * (`done`: skipped or unchanged), a server-side apply (`write`: created or configured), or,
 * for an immutable-field change with force, deleting the object and creating it again.
 */
type Plan =
  | { step: 'done'; entry: ChangeSetEntry }
  | { step: 'write'; desired: KubeObject; entry: ChangeSetEntry }
  | { step: 'recreate'; desired: KubeObject; existing: KubeObject };

/** Runs `work` with the caller's signal bounded by the call's timeout. */
async function bounded<T>(opts: Pick<ApplyOptions, 'timeout' | 'signal'>, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  return await withDeadline(opts.timeout?.milliseconds ?? defaultTimeoutMs, opts.signal, work);
}
