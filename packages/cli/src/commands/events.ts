/**
 * `eddy events [--for Kind/name]`: the Kubernetes Events of Flux objects, oldest first, with
 * flux's columns (LAST SEEN, TYPE, REASON, OBJECT, MESSAGE). With `--for`, the events of that
 * object and of the source it reads from, so one view shows the chain.
 */
import type { Command } from 'commander';
import type { ApiObject } from '@eddy/runtime';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { cliKind, cliKinds, text, type KindRef } from '../kinds.ts';
import { clientError, getObject } from '../objects.ts';
import { formatTable } from '../output/table.ts';

interface EventsOptions {
  for?: string;
  allNamespaces?: boolean;
  types?: string;
}

/** When the event was last seen: the newest of its timestamps. */
function lastSeen(e: ApiObject): string {
  return text(e, 'series', 'lastObservedTime') || text(e, 'lastTimestamp') || text(e, 'eventTime') || text(e, 'firstTimestamp') || (e.metadata.creationTimestamp ?? '');
}

/** How long ago `iso` was, as kubectl prints ages (`45s`, `3m`, `2h`, `5d`). */
export function age(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '<unknown>';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

/** Parses `--for Kind/name` (any spelling of a Flux kind). */
function parseFor(value: string, namespace: string): KindRef {
  const [kindWord, name, extra] = value.split('/');
  const kind = kindWord ? cliKind(kindWord) : undefined;
  if (!kind || !name || extra !== undefined) throw new CliError(`invalid --for '${value}': expected <Kind>/<name> of a Flux kind, e.g. Kustomization/apps`, { usage: true });
  return { kind: kind.api.kind, name, namespace };
}

/** Registers `eddy events`. */
export function registerEvents(program: Command, contextOf: (cmd: Command) => CliContext): void {
  program
    .command('events')
    .description('Show the Kubernetes Events of Flux objects (with --for: of one object and its source)')
    .option('--for <Kind/name>', 'only the events of this object and of its source')
    .option('-A, --all-namespaces', 'events of every namespace')
    .option('--types <types>', 'only these event types, comma-separated: Normal, Warning')
    .action(async (opts: EventsOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      const fluxKinds = new Set(cliKinds.map((k) => k.api.kind));
      let wanted: ((e: ApiObject) => boolean) | undefined;
      if (opts.for) {
        const target = parseFor(opts.for, ctx.namespace);
        const kind = cliKind(target.kind);
        const refs: KindRef[] = [target];
        if (kind?.sourceOf) {
          const source = kind.sourceOf(await getObject(ctx, kind, target.name));
          if (source) refs.push(source);
        }
        wanted = (e) => refs.some((r) => text(e, 'involvedObject', 'kind') === r.kind && text(e, 'involvedObject', 'name') === r.name && text(e, 'involvedObject', 'namespace') === r.namespace);
      }
      const types = opts.types?.split(',').map((t) => t.trim().toLowerCase());
      let events: ApiObject[];
      try {
        ({ items: events } = await ctx.client().list<ApiObject>({ apiVersion: 'v1', plural: 'events', ...(opts.allNamespaces && !opts.for ? {} : { namespace: ctx.namespace }) }, {}, ctx.signal()));
      } catch (err) {
        throw clientError(err, 'listing events');
      }
      const rows = events
        .filter((e) => fluxKinds.has(text(e, 'involvedObject', 'kind')))
        .filter((e) => !wanted || wanted(e))
        .filter((e) => !types || types.includes(text(e, 'type').toLowerCase()))
        .sort((a, b) => lastSeen(a).localeCompare(lastSeen(b)))
        .map((e) => [
          ...(opts.allNamespaces ? [e.metadata.namespace ?? ''] : []),
          age(lastSeen(e)),
          text(e, 'type'),
          text(e, 'reason'),
          `${text(e, 'involvedObject', 'kind')}/${text(e, 'involvedObject', 'name')}`,
          text(e, 'message').replaceAll('\n', '; '),
        ]);
      if (rows.length === 0) {
        ctx.io.stderr.write(`✗ no events found${opts.allNamespaces ? '' : ` in ${ctx.namespace} namespace`}\n`);
        return;
      }
      ctx.io.stdout.write(formatTable([...(opts.allNamespaces ? ['NAMESPACE'] : []), 'LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'], rows));
    });
}
