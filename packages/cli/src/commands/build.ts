/**
 * `eddy build kustomization <name> --path <dir>`: what the Kustomization would apply if its
 * source held the local folder — rendered offline exactly as kustomize-controller renders
 * (see render/local.ts) and printed as multi-document YAML, Secret values masked.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { yamlDocuments } from '../output/yaml.ts';
import type { LocalBuildOptions } from '../render/local.ts';
import { maskSecret } from '../render/mask.ts';

/** Adds the flags `eddy build` and `eddy diff` share to a `<verb> kustomization` command. */
export function localBuildCommand(parent: Command, description: string): Command {
  return parent
    .command('kustomization')
    .aliases(['ks', 'kustomizations'])
    .description(description)
    .argument('<name>', 'the Kustomization whose spec (targetNamespace, patches, postBuild, …) is used')
    .requiredOption('--path <dir>', 'local folder standing for the Kustomization spec.path')
    .option('--kustomization-file <file>', 'read the Kustomization from this YAML file instead of the cluster');
}

/** Registers `eddy build kustomization`. */
export function registerBuild(program: Command, contextOf: (cmd: Command) => CliContext): void {
  const build = program.command('build').description('Build Flux objects locally, offline, as the controller would');
  localBuildCommand(build, 'Print the objects a Kustomization would apply from a local folder (Secret values masked)')
    .option('--dry-run', 'never contact the cluster (needs --kustomization-file; substituteFrom and decryption keys are not read)')
    .action(async (name: string, opts: LocalBuildOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      // Loaded on use: the render code (kustomize, SOPS) is the heaviest import of the CLI.
      const { loadKustomization, renderLocal } = await import('../render/local.ts');
      const ks = await loadKustomization(ctx, name, opts);
      const objects = await renderLocal(ctx, ks, opts);
      ctx.io.stdout.write(yamlDocuments(objects.map((o) => maskSecret(o))));
    });
}
