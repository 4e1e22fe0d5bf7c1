/**
 * `eddy tree kustomization <name>`: the objects a Kustomization applied (its
 * `status.inventory`) as a tree, with the Kustomizations among them expanded recursively. An
 * object met twice (an inventory cycle) is shown once more but not expanded again.
 */
import type { Command } from 'commander';
import type { ApiObject } from '@eddy/runtime';
import { parseEntry, type ObjectRef } from '@eddy/ssa';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { cliKind, field, type CliKind } from '../kinds.ts';
import { getObject } from '../objects.ts';

/** One node of the tree: an object and what it applied. */
export interface TreeNode {
  subject: string;
  children: TreeNode[];
}

/** The inventory of an applier object as references. */
function inventoryOf(obj: ApiObject): ObjectRef[] {
  const entries = field(obj, 'status', 'inventory', 'entries');
  if (!Array.isArray(entries)) return [];
  return entries.flatMap((e: { id?: string; v?: string }) => {
    try {
      return e.id ? [parseEntry(e.id, e.v ?? '')] : [];
    } catch {
      return [];
    }
  });
}

/** Builds the tree of `obj`, reading nested Kustomizations from the cluster; `seen` breaks cycles. */
async function build(ctx: CliContext, kind: CliKind, obj: ApiObject, seen: Set<string>): Promise<TreeNode> {
  const subject = `${kind.api.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
  seen.add(subject);
  const children: TreeNode[] = [];
  for (const ref of inventoryOf(obj)) {
    const child = ref.namespace ? `${ref.kind}/${ref.namespace}/${ref.name}` : `${ref.kind}/${ref.name}`;
    const nested = ref.group === kind.api.group && ref.kind === kind.api.kind ? kind : undefined;
    if (nested && !seen.has(child)) {
      const live = await getObject(ctx, nested, ref.name, ref.namespace).catch(() => undefined);
      children.push(live ? await build(ctx, nested, live, seen) : { subject: `${child} (not found)`, children: [] });
    } else {
      children.push({ subject: child, children: [] });
    }
  }
  return { subject, children };
}

/** The tree drawn with box-drawing characters, one object a line. */
export function drawTree(node: TreeNode): string {
  const lines = [node.subject];
  const walk = (n: TreeNode, prefix: string): void => {
    n.children.forEach((c, i) => {
      const last = i === n.children.length - 1;
      lines.push(`${prefix}${last ? '└── ' : '├── '}${c.subject}`);
      walk(c, `${prefix}${last ? '    ' : '│   '}`);
    });
  };
  walk(node, '');
  return `${lines.join('\n')}\n`;
}

/** Registers `eddy tree kustomization`. */
export function registerTree(program: Command, contextOf: (cmd: Command) => CliContext): void {
  const tree = program.command('tree').description('Show the objects a Flux applier manages, as a tree');
  tree
    .command('kustomization')
    .aliases(['ks', 'kustomizations'])
    .description("Show a Kustomization's inventory as a tree, nested Kustomizations expanded")
    .argument('<name>', 'the Kustomization')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const kind = cliKind('Kustomization') as CliKind;
      const obj = await getObject(ctx, kind, name);
      if (!field(obj, 'status', 'inventory')) throw new CliError(`Kustomization ${ctx.namespace}/${name} has no inventory yet: it has not applied anything`);
      ctx.io.stdout.write(drawTree(await build(ctx, kind, obj, new Set())));
    });
}
