/**
 * The cluster side of `eddy bootstrap`: what a previous bootstrap left (the sync Kustomization),
 * installing the components on the first run, the credentials Secret, the sync objects, and
 * waiting until the cluster runs the pushed revision. Everything is applied server-side with
 * the field manager `eddy`, so a run that changes nothing writes nothing.
 */
import { formatDuration } from '@eddy/api';
import { UnknownKindError, type ApiObject } from '@eddy/runtime';
import { ResourceManager, waitForSet } from '@eddy/ssa';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { installFieldManager } from '../commands/install.ts';
import { requestReconcile } from '../commands/reconcile.ts';
import type { Component } from '../install/components.ts';
import type { Manifest } from '../install/manifests.ts';
import { cliKind, text, type CliKind } from '../kinds.ts';
import { clientError, getObject } from '../objects.ts';
import { reconcileState, waitForReconcile } from '../wait.ts';

/** What happened to an applied object. */
export type ApplyOutcome = 'created' | 'configured' | 'unchanged';

function kind(name: string): CliKind {
  const k = cliKind(name);
  if (!k) throw new Error(`no kind ${name} in the CLI's table`);
  return k;
}

/** The object, or undefined when it or its kind does not exist (the CRDs come with the first install). */
export async function findObject(ctx: CliContext, ref: { apiVersion: string; kind: string; name: string; namespace: string }): Promise<ApiObject | undefined> {
  try {
    return await ctx.client().find<ApiObject>({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } }, ctx.signal());
  } catch (err) {
    if (err instanceof UnknownKindError) return undefined;
    throw clientError(err, `reading ${ref.kind} ${ref.namespace}/${ref.name}`);
  }
}

/** Whether a bootstrap already made the cluster apply its own repository: the sync Kustomization applied a revision. */
export function installedBySync(kustomization: ApiObject | undefined): boolean {
  return text(kustomization, 'status', 'lastAppliedRevision') !== '';
}

/** Applies the components and waits until their Deployments are Available, as `eddy install` does. */
export async function installComponents(ctx: CliContext, manifests: readonly Manifest[], components: readonly Component[]): Promise<void> {
  ctx.progress.action(`installing components in ${ctx.namespace} namespace`);
  const manager = new ResourceManager({ kubeConfig: ctx.kubeConfig(), fieldManager: installFieldManager, logger: ctx.logger() });
  try {
    const changes = await manager.applyAllStaged(manifests, { timeout: ctx.timeout, signal: ctx.signal() });
    if (ctx.verbose) for (const e of changes.changes()) ctx.io.stderr.write(`${e.subject} ${e.action}\n`);
    ctx.progress.success(`installed components (${changes.changes().length} objects created or configured)`);
  } catch (err) {
    throw new CliError(`installing the components failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  await confirmComponents(ctx, components);
}

/** Waits until every component's Deployment is Available. */
export async function confirmComponents(ctx: CliContext, components: readonly Component[]): Promise<void> {
  ctx.progress.waiting('confirming components are healthy');
  const refs = components.map((c) => ({ group: 'apps', version: 'v1', kind: 'Deployment', namespace: ctx.namespace, name: c.name }));
  try {
    await waitForSet(ctx.kubeConfig(), refs, { signal: ctx.signal(), timeoutMs: ctx.timeout.milliseconds, intervalMs: 1_000 });
  } catch (err) {
    throw new CliError(`the components did not become healthy within ${formatDuration(ctx.timeout)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  for (const c of components) ctx.progress.success(`${c.name}: deployment ready`);
}

/** Server-side applies `obj` (field manager `eddy`) and says whether that changed it. */
export async function applyObject(ctx: CliContext, obj: ApiObject): Promise<ApplyOutcome> {
  const what = `${obj.kind} ${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
  try {
    const before = await ctx.client().find<ApiObject>(obj as ApiObject & { metadata: { name: string } }, ctx.signal());
    const after = await ctx.client().apply<ApiObject>(obj as ApiObject & { metadata: { name: string } }, { fieldManager: installFieldManager, force: true }, ctx.signal());
    if (!before) return 'created';
    return before.metadata.resourceVersion === after.metadata.resourceVersion ? 'unchanged' : 'configured';
  } catch (err) {
    throw clientError(err, `applying ${what}`);
  }
}

/** The Secret the GitRepository reads its credentials from (values base64-encoded; never printed). */
export function credentialsSecret(namespace: string, name: string, data: Readonly<Record<string, string>>): ApiObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  } as ApiObject;
}

/**
 * Waits until the GitRepository has fetched `revision` and the Kustomization has applied it.
 * An object already there is left alone (no reconcile request, so a repeated bootstrap writes
 * nothing); otherwise it is asked to reconcile now, as `eddy reconcile` does, instead of at its
 * next interval.
 */
export async function waitForRevision(ctx: CliContext, name: string, revision: string): Promise<void> {
  const ns = ctx.namespace;
  const steps: { kind: CliKind; field: string[]; done: string }[] = [
    { kind: kind('GitRepository'), field: ['status', 'artifact', 'revision'], done: 'fetched' },
    { kind: kind('Kustomization'), field: ['status', 'lastAppliedRevision'], done: 'applied' },
  ];
  for (const step of steps) {
    const what = `${step.kind.api.kind} ${ns}/${name}`;
    let obj = await getObject(ctx, step.kind, name, ns);
    if (text(obj, ...step.field) !== revision || reconcileState(obj).state !== 'ready') {
      ctx.progress.waiting(`waiting for ${what} to be reconciled`);
      const token = await requestReconcile(ctx, step.kind, name, ns);
      obj = await waitForReconcile(ctx, step.kind, name, ns, token);
      const got = text(obj, ...step.field);
      if (got !== revision) throw new CliError(`${what} ${step.done} revision ${got || '(none)'} instead of the pushed ${revision}`);
    }
    ctx.progress.success(`${what} ${step.done} revision ${revision}`);
  }
}
