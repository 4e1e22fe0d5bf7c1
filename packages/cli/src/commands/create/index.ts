/** `eddy create`: generate Flux objects from flags, apply them (or print them with `--export`). */
import type { Command } from 'commander';
import type { CliContext } from '../../context.ts';
import { registerCreateKustomization } from './kustomization.ts';
import { registerCreateSourceGit } from './source-git.ts';
import { registerCreateSourceOci } from './source-oci.ts';

/** Registers `create source git|oci` and `create kustomization`. */
export function registerCreate(program: Command, contextOf: (cmd: Command) => CliContext): void {
  const create = program.command('create').description('Create or update Flux objects from flags (or print them with --export)');
  const source = create.command('source').alias('sources').description('Create or update sources');
  registerCreateSourceGit(source, contextOf);
  registerCreateSourceOci(source, contextOf);
  registerCreateKustomization(create, contextOf);
}
