/** `eddy create source oci <name>`: an OCIRepository from flags named as the flux CLI's. */
import type { Command } from 'commander';
import type { ApiObject } from '@eddy/runtime';
import type { CliContext } from '../../context.ts';
import { CliError } from '../../errors.ts';
import { collect, durationFlag } from '../../flags.ts';
import { createCommand, metadataOf, type CreateOptions } from './apply.ts';

interface OciOptions extends CreateOptions {
  url: string;
  tag?: string;
  tagSemver?: string;
  digest?: string;
  secretRef?: string;
  ignorePaths?: string[];
  provider?: string;
  insecure?: boolean;
}

/** Providers `spec.provider` accepts. */
const providers = ['generic', 'aws', 'azure', 'gcp'];

/** The OCIRepository the flags describe. */
export function ociRepository(ctx: CliContext, name: string, opts: OciOptions): ApiObject {
  if (!opts.url.startsWith('oci://')) throw new CliError(`invalid --url '${opts.url}': expected an oci:// address`, { usage: true });
  if (opts.provider && !providers.includes(opts.provider)) throw new CliError(`invalid --provider '${opts.provider}': expected one of ${providers.join(', ')}`, { usage: true });
  const ref: Record<string, string> = {};
  if (opts.digest) ref['digest'] = opts.digest;
  if (opts.tagSemver) ref['semver'] = opts.tagSemver;
  if (opts.tag) ref['tag'] = opts.tag;
  const spec: Record<string, unknown> = {};
  if (opts.ignorePaths?.length) spec['ignore'] = opts.ignorePaths.flatMap((p) => p.split(',')).join('\n');
  if (opts.insecure) spec['insecure'] = true;
  spec['interval'] = durationFlag('interval', opts.interval);
  if (opts.provider && opts.provider !== 'generic') spec['provider'] = opts.provider;
  if (Object.keys(ref).length) spec['ref'] = ref;
  if (opts.secretRef) spec['secretRef'] = { name: opts.secretRef };
  spec['url'] = opts.url;
  return { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'OCIRepository', metadata: metadataOf(ctx, name, opts), spec };
}

/** Registers `create source oci` under `source`. */
export function registerCreateSourceOci(source: Command, contextOf: (cmd: Command) => CliContext): void {
  const cmd = source
    .command('oci')
    .description('Create or update an OCIRepository source')
    .argument('<name>', 'name of the OCIRepository')
    .requiredOption('--url <url>', 'OCI repository address, e.g. oci://registry.example/org/manifests')
    .option('--tag <tag>', 'artifact tag')
    .option('--tag-semver <range>', 'artifact tag semver range')
    .option('--digest <digest>', 'artifact digest, e.g. sha256:…')
    .option('--secret-ref <name>', 'name of the Secret with the registry credentials (dockerconfigjson)')
    .option('--provider <name>', `registry login provider: ${providers.join(', ')}`, 'generic')
    .option('--insecure', 'allow plain HTTP to the registry')
    .option('--ignore-paths <paths>', 'paths to leave out of the artifact, .gitignore syntax (comma-separated or repeated)', collect);
  createCommand<OciOptions>(cmd, contextOf, 'how often the source is checked for new revisions', ociRepository);
}
