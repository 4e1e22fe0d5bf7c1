/** `eddy create source git <name>`: a GitRepository from flags named as the flux CLI's. */
import type { Command } from 'commander';
import type { ApiObject } from '@eddy/runtime';
import type { CliContext } from '../../context.ts';
import { CliError } from '../../errors.ts';
import { collect, durationFlag } from '../../flags.ts';
import { createCommand, metadataOf, type CreateOptions } from './apply.ts';

interface GitOptions extends CreateOptions {
  url: string;
  branch?: string;
  tag?: string;
  tagSemver?: string;
  refName?: string;
  commit?: string;
  secretRef?: string;
  ignorePaths?: string[];
  recurseSubmodules?: boolean;
}

/** The GitRepository the flags describe. */
export function gitRepository(ctx: CliContext, name: string, opts: GitOptions): ApiObject {
  if (!/^(https?|ssh):\/\//.test(opts.url)) throw new CliError(`invalid --url '${opts.url}': expected an http://, https:// or ssh:// address`, { usage: true });
  const ref: Record<string, string> = {};
  if (opts.branch) ref['branch'] = opts.branch;
  if (opts.tag) ref['tag'] = opts.tag;
  if (opts.tagSemver) ref['semver'] = opts.tagSemver;
  if (opts.refName) ref['name'] = opts.refName;
  if (opts.commit) ref['commit'] = opts.commit;
  const spec: Record<string, unknown> = { interval: durationFlag('interval', opts.interval) };
  if (opts.ignorePaths?.length) spec['ignore'] = opts.ignorePaths.flatMap((p) => p.split(',')).join('\n');
  if (opts.recurseSubmodules) spec['recurseSubmodules'] = true;
  if (Object.keys(ref).length) spec['ref'] = ref;
  if (opts.secretRef) spec['secretRef'] = { name: opts.secretRef };
  spec['url'] = opts.url;
  return { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: metadataOf(ctx, name, opts), spec };
}

/** Registers `create source git` under `source`. */
export function registerCreateSourceGit(source: Command, contextOf: (cmd: Command) => CliContext): void {
  const cmd = source
    .command('git')
    .description('Create or update a GitRepository source')
    .argument('<name>', 'name of the GitRepository')
    .requiredOption('--url <url>', 'Git repository address (http, https or ssh)')
    .option('--branch <branch>', 'Git branch')
    .option('--tag <tag>', 'Git tag')
    .option('--tag-semver <range>', 'Git tag semver range, e.g. ">=1.0.0 <2.0.0"')
    .option('--ref-name <ref>', 'Git reference name, e.g. refs/heads/main or refs/pull/1/head')
    .option('--commit <sha>', 'Git commit SHA')
    .option('--secret-ref <name>', 'name of the Secret with the Git credentials')
    .option('--ignore-paths <paths>', 'paths to leave out of the artifact, .gitignore syntax (comma-separated or repeated)', collect)
    .option('--recurse-submodules', 'also check out the submodules');
  createCommand<GitOptions>(cmd, contextOf, 'how often the source is checked for new revisions', gitRepository);
}
