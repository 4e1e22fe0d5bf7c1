/**
 * `eddy export <kind> <name>|--all`: in-cluster Flux objects as clean YAML for backup or
 * migration — apiVersion, kind, name, namespace, labels, annotations and spec; no status, no
 * fields the server manages.
 */
import type { Command } from 'commander';
import type { ApiObject } from '@eddy/runtime';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import type { CliKind } from '../kinds.ts';
import { getObject, listObjects, notServed } from '../objects.ts';
import { yamlDocuments } from '../output/yaml.ts';
import { forEachKind } from './kind-commands.ts';

/** Annotations that describe a past write, not the object. */
const noisyAnnotations = ['kubectl.kubernetes.io/last-applied-configuration'];

/** The object as it would be written by hand: no status, no server-managed metadata. */
export function cleanObject(obj: ApiObject): ApiObject {
  const { name, namespace, labels } = obj.metadata;
  const annotations = Object.fromEntries(Object.entries(obj.metadata.annotations ?? {}).filter(([k]) => !noisyAnnotations.includes(k)));
  const metadata: ApiObject['metadata'] = { name, namespace };
  if (labels && Object.keys(labels).length) metadata.labels = labels;
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  return { apiVersion: obj.apiVersion, kind: obj.kind, metadata, spec: obj['spec'] };
}

/** Registers `eddy export`. */
export function registerExport(program: Command, contextOf: (cmd: Command) => CliContext): void {
  const exportCmd = program.command('export').description('Print Flux objects of the cluster as clean YAML (no status, no server fields)');
  forEachKind(
    exportCmd,
    (k) => `Export ${k.api.kind} objects`,
    (cmd, kind: CliKind) => {
      cmd
        .argument('[name]', `the ${kind.api.kind} to export`)
        .option('--all', 'export every object of the kind in the namespace')
        .action(async (name: string | undefined, opts: { all?: boolean }, self: Command) => {
          const ctx = contextOf(self);
          if (!name && !opts.all) throw new CliError(`name or --all is required: eddy export ${kind.group ? `${kind.group} ` : ''}${kind.noun} <name>`, { usage: true });
          if (name && opts.all) throw new CliError('give either a name or --all, not both', { usage: true });
          const objects = name ? [await getObject(ctx, kind, name)] : await listObjects(ctx, kind, ctx.namespace);
          if (!objects) throw notServed(kind);
          ctx.io.stdout.write(yamlDocuments(objects.map(cleanObject)));
        });
    },
  );
}
