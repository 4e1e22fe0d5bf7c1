/**
 * `eddy check [--pre]`: is the cluster fit for Eddy, and is Eddy healthy in it? Always checks
 * the Kubernetes version (Flux 2.9 needs 1.33 or later); without `--pre` also that the chosen
 * controllers' Deployments are Available and their CRDs Established.
 */
import type { Command } from 'commander';
import { kindInfo } from '@eddy/api';
import type { ApiObject } from '@eddy/runtime';
import { VersionApi } from '@kubernetes/client-node';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { collect } from '../flags.ts';
import { conditionOf } from '../objects.ts';
import { defaultComponents, selectComponents } from '../install/components.ts';
import { deploymentImage } from '../install/manifests.ts';

/** The oldest Kubernetes minor version Flux 2.9 supports. */
export const minKubernetes = { major: 1, minor: 33 };

/** Whether `gitVersion` (`v1.34.4`, `v1.33.0-eks-1`) is at least {@link minKubernetes}. */
export function supportedKubernetes(gitVersion: string): boolean {
  const m = /^v?(\d+)\.(\d+)/.exec(gitVersion);
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > minKubernetes.major || (major === minKubernetes.major && minor >= minKubernetes.minor);
}

/** Registers `eddy check`. */
export function registerCheck(program: Command, contextOf: (cmd: Command) => CliContext): void {
  program
    .command('check')
    .description('Check the cluster meets the prerequisites and Eddy runs in it (controllers Available, CRDs Established)')
    .option('--pre', 'only check the prerequisites')
    .option('--components <names>', `controllers to check (default ${defaultComponents.join(',')})`, collect)
    .action(async (opts: { pre?: boolean; components?: string[] }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const want = `>=${minKubernetes.major}.${minKubernetes.minor}.0`;
      ctx.progress.action('checking prerequisites');
      let gitVersion: string;
      try {
        gitVersion = (await ctx.kubeConfig().makeApiClient(VersionApi).getCode()).gitVersion;
      } catch (err) {
        throw new CliError(`cannot reach the Kubernetes API server: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      if (!supportedKubernetes(gitVersion)) throw new CliError(`Kubernetes ${gitVersion} does not match ${want}`);
      ctx.progress.success(`Kubernetes ${gitVersion.replace(/^v/, '')} ${want}`);
      if (opts.pre) {
        ctx.progress.success('prerequisites checks passed');
        return;
      }

      const components = selectComponents(opts.components);
      const failures: string[] = [];
      ctx.progress.action('checking controllers');
      for (const c of components) {
        const deployment = await ctx.client().find<ApiObject>({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: c.name, namespace: ctx.namespace } }, ctx.signal());
        const available = conditionOf(deployment, 'Available');
        if (!deployment) failures.push(`${c.name}: deployment not found in ${ctx.namespace} namespace`);
        else if (available?.status !== 'True') failures.push(`${c.name}: deployment not ready${available?.message ? `: ${available.message}` : ''}`);
        else {
          ctx.progress.success(`${c.name}: deployment ready`);
          const image = deploymentImage(deployment);
          if (image) ctx.progress.action(image);
        }
      }
      ctx.progress.action('checking crds');
      for (const kind of components.flatMap((c) => c.kinds)) {
        const info = kindInfo(kind);
        if (!info) continue;
        const name = `${info.plural}.${info.group}`;
        const crd = await ctx.client().find<ApiObject>({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name } }, ctx.signal());
        if (conditionOf(crd, 'Established')?.status === 'True') ctx.progress.success(`${name}/${info.version}`);
        else failures.push(`${name}: ${crd ? 'not Established' : 'not found'}`);
      }
      if (failures.length) throw new CliError(`check failed: ${failures.join('; ')}`);
      ctx.progress.success('all checks passed');
    });
}
