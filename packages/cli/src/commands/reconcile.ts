/**
 * `eddy reconcile <kind> <name> [--with-source]`: asks the controller to reconcile now, as
 * `flux reconcile` does — annotate `reconcile.fluxcd.io/requestedAt` with a fresh token, then
 * wait until `status.lastHandledReconcileAt` echoes it and the object is Ready.
 */
import type { Command } from 'commander';
import { Annotation, FluxClientSideApplyManager } from '@eddy/api';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { cliKind, kindWords, type CliKind } from '../kinds.ts';
import { clientError, getObject, isSuspended, refFor } from '../objects.ts';
import { waitForReconcile } from '../wait.ts';
import { forEachKind } from './kind-commands.ts';

/** A fresh request token: the current time, as flux writes it (RFC 3339 with fractional seconds). */
export function requestToken(now = new Date()): string {
  return now.toISOString();
}

/** Annotates the object with a new request token and returns the token. */
export async function requestReconcile(ctx: CliContext, kind: CliKind, name: string, namespace: string, extra: Record<string, unknown> = {}): Promise<string> {
  const token = requestToken();
  const patch = { ...extra, metadata: { annotations: { [Annotation.ReconcileRequestedAt]: token } } };
  try {
    await ctx.client().mergePatch(refFor(kind, name, namespace), patch, { fieldManager: FluxClientSideApplyManager }, ctx.signal());
  } catch (err) {
    throw clientError(err, `annotating ${kind.api.kind} ${namespace}/${name}`);
  }
  return token;
}

/** Reconciles one object and waits for it, printing flux's progress lines. */
export async function reconcileObject(ctx: CliContext, kind: CliKind, name: string, namespace: string): Promise<void> {
  const obj = await getObject(ctx, kind, name, namespace);
  if (isSuspended(obj)) throw new CliError(`${kind.api.kind} ${namespace}/${name} is suspended: run eddy resume ${kindWords(kind)} ${name} first`);
  ctx.progress.action(`annotating ${kind.api.kind} ${name} in ${namespace} namespace`);
  const token = await requestReconcile(ctx, kind, name, namespace);
  ctx.progress.success(`${kind.api.kind} annotated`);
  ctx.progress.waiting(`waiting for ${kind.api.kind} reconciliation`);
  const ready = await waitForReconcile(ctx, kind, name, namespace, token);
  ctx.progress.success(kind.reconciled(ready));
}

/** Registers `eddy reconcile`. */
export function registerReconcile(program: Command, contextOf: (cmd: Command) => CliContext): void {
  const reconcile = program.command('reconcile').description('Reconcile a Flux object now and wait until it is Ready');
  forEachKind(
    reconcile,
    (k) => `Reconcile a ${k.api.kind}${k.sourceOf ? ' (and its source first with --with-source)' : ''}`,
    (cmd, kind) => {
      cmd.argument('<name>', `the ${kind.api.kind}`);
      if (kind.sourceOf) cmd.option('--with-source', 'reconcile the source first');
      cmd.action(async (name: string, opts: { withSource?: boolean }, self: Command) => {
        const ctx = contextOf(self);
        if (opts.withSource) {
          const obj = await getObject(ctx, kind, name);
          const source = kind.sourceOf?.(obj);
          const sourceKind = source && cliKind(source.kind);
          if (!source || !sourceKind) throw new CliError(`${kind.api.kind} ${ctx.namespace}/${name} has no source to reconcile`);
          await reconcileObject(ctx, sourceKind, source.name, source.namespace);
        }
        await reconcileObject(ctx, kind, name, ctx.namespace);
      });
    },
  );
}
