/**
 * `eddy get <kind> [name]` and `eddy get all`: the status of Flux objects as a table with the
 * flux CLI's columns (NAME, REVISION or the kind's column, SUSPENDED, READY, MESSAGE).
 */
import type { Command } from 'commander';
import type { ApiObject } from '@eddy/runtime';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { cliKinds, type CliKind } from '../kinds.ts';
import { conditionOf, getObject, isSuspended, listObjects } from '../objects.ts';
import { formatTable } from '../output/table.ts';
import { forEachKind } from './kind-commands.ts';

/** Options of `eddy get`. */
interface GetOptions {
  allNamespaces?: boolean;
  header: boolean;
  statusSelector?: string;
}

/** The cells of one object's row after NAME (and NAMESPACE). */
export function statusCells(kind: CliKind, obj: ApiObject): string[] {
  const ready = conditionOf(obj, 'Ready');
  const cells = kind.column ? [kind.column.value(obj)] : [];
  return [...cells, isSuspended(obj) ? 'True' : 'False', ready?.status ?? 'Unknown', ready?.message ?? ''];
}

/** The header of a kind's table. */
function header(kind: CliKind, allNamespaces: boolean): string[] {
  return [...(allNamespaces ? ['NAMESPACE'] : []), 'NAME', ...(kind.column ? [kind.column.header] : []), 'SUSPENDED', 'READY', 'MESSAGE'];
}

/** Parses `--status-selector ready=false` into a row filter. */
function selector(spec: string | undefined): (kind: CliKind, obj: ApiObject) => boolean {
  if (!spec) return () => true;
  const m = /^(ready|suspended)=(true|false|unknown)$/i.exec(spec.trim());
  if (!m) throw new CliError(`invalid --status-selector '${spec}': expected ready=<true|false|unknown> or suspended=<true|false>`, { usage: true });
  const [, key, value] = m;
  return (kind, obj) => {
    const [suspended, ready] = statusCells(kind, obj).slice(kind.column ? 1 : 0);
    return (key!.toLowerCase() === 'ready' ? ready : suspended)!.toLowerCase() === value!.toLowerCase();
  };
}

/** The table of one kind, or '' when no object matches. `prefixKind` names rows `kind/name` (for `get all`). */
async function kindTable(ctx: CliContext, kind: CliKind, opts: GetOptions, name: string | undefined, prefixKind: boolean): Promise<string> {
  const namespace = opts.allNamespaces ? undefined : ctx.namespace;
  let objects: ApiObject[];
  if (name) {
    objects = [await getObject(ctx, kind, name)];
  } else {
    const listed = await listObjects(ctx, kind, namespace);
    if (listed === undefined && !prefixKind) throw new CliError(`the cluster does not serve ${kind.api.kind} (${kind.apiVersion}): install the CRDs with eddy install`);
    objects = listed ?? [];
  }
  const keep = selector(opts.statusSelector);
  const rows = objects
    .filter((o) => keep(kind, o))
    .map((o) => [
      ...(opts.allNamespaces ? [o.metadata.namespace ?? ''] : []),
      prefixKind ? `${kind.api.singular}/${o.metadata.name ?? ''}` : (o.metadata.name ?? ''),
      ...statusCells(kind, o),
    ]);
  return rows.length ? formatTable(opts.header ? header(kind, opts.allNamespaces ?? false) : [], rows) : '';
}

/** Prints every kind that has objects, a table each, separated by blank lines. */
async function printAll(ctx: CliContext, kinds: readonly CliKind[], opts: GetOptions): Promise<void> {
  const tables: string[] = [];
  for (const kind of kinds) {
    const table = await kindTable(ctx, kind, opts, undefined, true);
    if (table) tables.push(table);
  }
  if (tables.length) ctx.io.stdout.write(tables.join('\n'));
  else ctx.io.stderr.write(`✗ no Flux objects found${opts.allNamespaces ? '' : ` in ${ctx.namespace} namespace`}\n`);
}

/** Registers `eddy get`. */
export function registerGet(program: Command, contextOf: (cmd: Command) => CliContext): void {
  const get = program
    .command('get')
    .description('Show the status of Flux objects: NAME, REVISION, SUSPENDED, READY, MESSAGE')
    .option('-A, --all-namespaces', 'list the objects of every namespace')
    .option('--no-header', 'leave out the header line')
    .option('--status-selector <condition>', 'show only objects whose status matches, e.g. ready=false or suspended=true');
  const run = (cmd: Command, action: (ctx: CliContext, opts: GetOptions) => Promise<void>): void => {
    cmd.action(async (...args: unknown[]) => {
      const self = args[args.length - 1] as Command;
      await action(contextOf(self), self.optsWithGlobals<GetOptions>());
    });
  };
  const groups = forEachKind(
    get,
    (k) => `Show the status of ${k.api.kind} objects`,
    (cmd, kind) => {
      cmd.argument('[name]', `the ${kind.api.kind}; all of the namespace when left out`);
      run(cmd, async (ctx, opts) => {
        const name = cmd.processedArgs[0] as string | undefined;
        const table = await kindTable(ctx, kind, opts, name, false);
        if (table) ctx.io.stdout.write(table);
        else {
          ctx.io.stderr.write(`✗ no ${kind.api.kind} objects found${opts.allNamespaces ? '' : ` in ${ctx.namespace} namespace`}\n`);
        }
      });
    },
  );
  for (const [group, cmd] of groups) {
    run(cmd.command('all').description(`Show the status of every ${group} kind`), (ctx, opts) => printAll(ctx, cliKinds.filter((k) => k.group === group), opts));
  }
  run(get.command('all').description('Show the status of every Flux kind'), (ctx, opts) => printAll(ctx, cliKinds, opts));
}
