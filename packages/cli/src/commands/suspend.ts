/**
 * `eddy suspend` / `eddy resume`: set `spec.suspend` (a merge patch by the
 * `flux-client-side-apply` field manager, as flux does), for one object or `--all` of a kind in
 * the namespace. Resume also requests a reconcile and waits until the object is Ready.
 */
import type { Command } from 'commander';
import { FluxClientSideApplyManager } from '@eddy/api';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import type { CliKind } from '../kinds.ts';
import { clientError, getObject, listObjects, notServed, refFor } from '../objects.ts';
import { waitForReconcile } from '../wait.ts';
import { forEachKind } from './kind-commands.ts';
import { booleanValue } from '../flags.ts';
import { requestReconcile } from './reconcile.ts';

/** The names a suspend/resume works on: the one given, or every object of the kind with `--all`. */
async function targets(ctx: CliContext, kind: CliKind, name: string | undefined, all: boolean | undefined, verb: string): Promise<string[]> {
  if (name && all) throw new CliError('give either a name or --all, not both', { usage: true });
  if (name) return [(await getObject(ctx, kind, name)).metadata.name ?? name];
  if (!all) throw new CliError(`name or --all is required: eddy ${verb} ${kind.group ? `${kind.group} ` : ''}${kind.noun} <name>`, { usage: true });
  const objects = await listObjects(ctx, kind, ctx.namespace);
  if (!objects) throw notServed(kind);
  if (objects.length === 0) ctx.progress.warning(`no ${kind.api.kind} objects found in ${ctx.namespace} namespace`);
  return objects.map((o) => o.metadata.name ?? '');
}

/** Registers `eddy suspend` and `eddy resume`. */
export function registerSuspendResume(program: Command, contextOf: (cmd: Command) => CliContext): void {
  const suspend = program.command('suspend').description('Suspend the reconciliation of Flux objects');
  forEachKind(
    suspend,
    (k) => `Suspend a ${k.api.kind} (or --all)`,
    (cmd, kind) => {
      cmd
        .argument('[name]', `the ${kind.api.kind}`)
        .option('--all', 'every object of the kind in the namespace')
        .action(async (name: string | undefined, opts: { all?: boolean }, self: Command) => {
          const ctx = contextOf(self);
          for (const target of await targets(ctx, kind, name, opts.all, 'suspend')) {
            ctx.progress.action(`suspending ${kind.api.kind} ${target} in ${ctx.namespace} namespace`);
            try {
              await ctx.client().mergePatch(refFor(kind, target, ctx.namespace), { spec: { suspend: true } }, { fieldManager: FluxClientSideApplyManager }, ctx.signal());
            } catch (err) {
              throw clientError(err, `suspending ${kind.api.kind} ${ctx.namespace}/${target}`);
            }
            ctx.progress.success(`${kind.api.kind} suspended`);
          }
        });
    },
  );

  const resume = program.command('resume').description('Resume the reconciliation of suspended Flux objects and wait until they are Ready');
  forEachKind(
    resume,
    (k) => `Resume a ${k.api.kind} (or --all)`,
    (cmd, kind) => {
      cmd
        .argument('[name]', `the ${kind.api.kind}`)
        .option('--all', 'every object of the kind in the namespace')
        .option('--wait [bool]', 'wait until the object is Ready (--wait=false to return at once)', booleanValue, true)
        .action(async (name: string | undefined, opts: { all?: boolean; wait: boolean }, self: Command) => {
          const ctx = contextOf(self);
          const resumed: { name: string; token: string }[] = [];
          for (const target of await targets(ctx, kind, name, opts.all, 'resume')) {
            ctx.progress.action(`resuming ${kind.api.kind} ${target} in ${ctx.namespace} namespace`);
            resumed.push({ name: target, token: await requestReconcile(ctx, kind, target, ctx.namespace, { spec: { suspend: false } }) });
            ctx.progress.success(`${kind.api.kind} resumed`);
          }
          if (!opts.wait) return;
          for (const r of resumed) {
            ctx.progress.waiting(`waiting for ${kind.api.kind} ${r.name} reconciliation`);
            const ready = await waitForReconcile(ctx, kind, r.name, ctx.namespace, r.token);
            ctx.progress.success(`${kind.api.kind} ${r.name} reconciliation completed`);
            ctx.progress.success(kind.reconciled(ready));
          }
        });
    },
  );
}
