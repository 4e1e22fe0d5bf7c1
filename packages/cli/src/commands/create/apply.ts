/**
 * What every `eddy create` does with the object it generated: print it (`--export`), or apply it
 * (server-side, field manager `eddy`: a re-run updates the object) and wait until its
 * controller reconciled it, reporting what it achieved.
 */
import type { Command } from 'commander';
import type { ApiObject } from '@eddy/runtime';
import type { CliContext } from '../../context.ts';
import { CliError } from '../../errors.ts';
import { collect } from '../../flags.ts';
import { cliKind, type CliKind } from '../../kinds.ts';
import { clientError } from '../../objects.ts';
import { yamlDocuments } from '../../output/yaml.ts';
import { waitForReconcile } from '../../wait.ts';

/** The field manager of objects `eddy create` applies. */
export const createFieldManager = 'eddy';

/** Options every `create` sub-command has. */
export interface CreateOptions {
  export?: boolean;
  label?: string[];
  interval: string;
}

/** `--label key=value` flags as a labels map. */
export function labelsFlag(values: readonly string[] | undefined): Record<string, string> | undefined {
  if (!values?.length) return undefined;
  const labels: Record<string, string> = {};
  for (const v of values.flatMap((x) => x.split(','))) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new CliError(`invalid --label '${v}': expected key=value`, { usage: true });
    labels[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return labels;
}

/** The object's metadata: name, namespace and `--label`s. */
export function metadataOf(ctx: CliContext, name: string, opts: CreateOptions): ApiObject['metadata'] {
  const labels = labelsFlag(opts.label);
  return { name, namespace: ctx.namespace, ...(labels ? { labels } : {}) };
}

/** Prints `obj` with `--export`; otherwise applies it and waits for its reconciliation. */
export async function exportOrApply(ctx: CliContext, obj: ApiObject, opts: CreateOptions): Promise<void> {
  if (opts.export) {
    ctx.io.stdout.write(yamlDocuments([obj]));
    return;
  }
  const kind = cliKind(obj.kind) as CliKind;
  const name = obj.metadata.name ?? '';
  const what = `${kind.api.kind} ${ctx.namespace}/${name}`;
  ctx.progress.action(`applying ${what}`);
  try {
    await ctx.client().apply(obj, { fieldManager: createFieldManager, force: true }, ctx.signal());
  } catch (err) {
    throw clientError(err, `applying ${what}`);
  }
  ctx.progress.success(`${kind.api.kind} ${name} applied`);
  ctx.progress.waiting(`waiting for ${kind.api.kind} reconciliation`);
  const ready = await waitForReconcile(ctx, kind, name, ctx.namespace);
  ctx.progress.success(`${kind.api.kind} reconciliation completed`);
  ctx.progress.success(kind.reconciled(ready));
}

/**
 * Adds the flags every `create` sub-command has (`--interval`, `--label`, `--export`) and its
 * action: generate the object from the flags, then {@link exportOrApply}.
 */
export function createCommand<O extends CreateOptions>(
  cmd: Command,
  contextOf: (cmd: Command) => CliContext,
  intervalHelp: string,
  generate: (ctx: CliContext, name: string, opts: O) => ApiObject,
): Command {
  return cmd
    .option('--interval <duration>', intervalHelp, '1m0s')
    .option('--label <key=value>', 'labels of the object (comma-separated or repeated)', collect)
    .option('--export', 'print the object as YAML instead of applying it')
    .action(async (name: string, _opts: unknown, self: Command) => {
      const ctx = contextOf(self);
      const opts = self.opts<O>();
      await exportOrApply(ctx, generate(ctx, name, opts), opts);
    });
}
