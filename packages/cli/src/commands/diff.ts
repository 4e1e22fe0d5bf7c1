/**
 * `eddy diff kustomization <name> --path <dir>`: exactly what applying the local folder would
 * change in the cluster. The folder is rendered as kustomize-controller renders it, each object
 * is dry-run applied server-side through @eddy/ssa's ResourceManager (with the controller's
 * field manager and owner labels, so an unchanged object shows no difference), and objects of
 * the inventory that left the folder are listed as deleted when the Kustomization prunes.
 * Prints nothing for an unchanged tree. Exit code as flux diff: 0 no changes, 1 changes, 2 error.
 */
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { Label, type Kustomization } from '@eddy/api';
import { ResourceManager, diff as staleEntries, entryFor, parseEntry, withoutServerFields, type KubeObject } from '@eddy/ssa';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import type { LocalBuildOptions } from '../render/local.ts';
import { maskSecret } from '../render/mask.ts';
import { unifiedDiff } from '../render/unified-diff.ts';
import { localBuildCommand } from './build.ts';

/** The field manager kustomize-controller applies with: the dry run must match its applies. */
const controllerFieldManager = 'kustomize-controller';

/** Exit code of `eddy diff` on an error (1 means "there are changes"). */
const diffErrorExitCode = 2;

/** An object as YAML text for diffing: no server-managed fields, no status. */
function diffText(obj: KubeObject | undefined): string {
  return obj ? stringify(withoutServerFields(obj), { lineWidth: 0, sortMapEntries: true }) : '';
}

/** `Kind/namespace/name`, or `Kind/name`. */
function subject(kind: string, namespace: string | undefined, name: string): string {
  return namespace ? `${kind}/${namespace}/${name}` : `${kind}/${name}`;
}

/** Computes and prints the change; returns whether there is any. */
async function printDiff(ctx: CliContext, ks: Kustomization, objects: Record<string, unknown>[]): Promise<boolean> {
  const ownerLabels = { [Label.KustomizeName]: ks.metadata.name ?? '', [Label.KustomizeNamespace]: ks.metadata.namespace ?? '' };
  const manager = new ResourceManager({ kubeConfig: ctx.kubeConfig(), fieldManager: controllerFieldManager, logger: ctx.logger(), ownerLabels });
  const out = ctx.io.stdout;
  let changed = false;
  for (const obj of objects) {
    const { entry, live, merged } = await manager.preview(obj, { timeout: ctx.timeout, signal: ctx.signal() });
    if (entry.action === 'unchanged' || entry.action === 'skipped') continue;
    changed = true;
    out.write(`► ${entry.subject} ${entry.action}\n`);
    const before = live ? maskSecret(live, merged, 'before') : undefined;
    const after = maskSecret(merged, live, 'after');
    out.write(unifiedDiff(diffText(before), diffText(after), live ? `${entry.subject} (cluster)` : '/dev/null', `${entry.subject} (local)`));
  }
  // What the Kustomization applied before and the folder no longer holds is pruned.
  if (ks.spec.prune && ks.status?.inventory?.entries) {
    for (const stale of staleEntries(ks.status.inventory.entries, objects.map((o) => entryFor(o)))) {
      const ref = parseEntry(stale.id, stale.v);
      changed = true;
      out.write(`► ${subject(ref.kind, ref.namespace, ref.name)} deleted\n`);
    }
  }
  return changed;
}

/** Registers `eddy diff kustomization`. */
export function registerDiff(program: Command, contextOf: (cmd: Command) => CliContext): void {
  const diff = program.command('diff').description('Show what applying local changes would do to the cluster (server-side dry run)');
  localBuildCommand(diff, 'Show the change a local folder would make through a Kustomization: created/configured/deleted objects and a unified diff of their fields; exit 1 when there are changes').action(
    async (name: string, opts: LocalBuildOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      try {
        // Loaded on use: the render code (kustomize, SOPS) is the heaviest import of the CLI.
        const { loadKustomization, renderLocal } = await import('../render/local.ts');
        const ks = await loadKustomization(ctx, name, opts);
        const objects = await renderLocal(ctx, ks, opts);
        if (await printDiff(ctx, ks, objects)) ctx.exitCode = 1;
      } catch (err) {
        if (err instanceof CliError && err.exitCode !== 1) throw err;
        throw new CliError(err instanceof Error ? err.message : String(err), { exitCode: diffErrorExitCode, cause: err });
      }
    },
  );
}
