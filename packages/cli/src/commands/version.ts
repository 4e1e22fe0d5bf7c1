/** `eddy version [--client]`: the CLI's version, and the version of each controller installed in `--namespace`. */
import type { Command } from 'commander';
import type { ApiObject } from '@eddy/runtime';
import type { CliContext } from '../context.ts';
import { clientError } from '../objects.ts';
import { deploymentImage, instanceSelector } from '../install/manifests.ts';
import { cliVersion } from '../version.ts';

/** Registers `eddy version`. */
export function registerVersion(program: Command, contextOf: (cmd: Command) => CliContext): void {
  program
    .command('version')
    .description('Print the version of the CLI and of the controllers in the cluster')
    .option('--client', 'only the CLI')
    .action(async (opts: { client?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      ctx.io.stdout.write(`eddy: v${cliVersion}\n`);
      if (opts.client) return;
      let deployments: ApiObject[];
      try {
        ({ items: deployments } = await ctx.client().list<ApiObject>({ apiVersion: 'apps/v1', plural: 'deployments', namespace: ctx.namespace }, { labelSelector: instanceSelector(ctx.namespace) }, ctx.signal()));
      } catch (err) {
        throw clientError(err, `listing the controllers in ${ctx.namespace} namespace`);
      }
      for (const d of deployments.sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))) {
        const image = deploymentImage(d);
        const tag = image.includes(':') ? image.slice(image.lastIndexOf(':') + 1) : 'unknown';
        ctx.io.stdout.write(`${d.metadata.name ?? ''}: v${tag}\n`);
      }
    });
}
