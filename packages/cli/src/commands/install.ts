/**
 * `eddy install`: apply Eddy's components (CRDs, RBAC, Deployments) into `--namespace`
 * (default flux-system) and wait until the Deployments are Available, or print the manifests
 * with `--export`. Re-running it upgrades in place (server-side apply, field manager `eddy`).
 */
import type { Command } from 'commander';
import { formatDuration } from '@eddy/api';
import { ResourceManager, waitForSet } from '@eddy/ssa';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { booleanValue, collect } from '../flags.ts';
import { defaultComponents, selectComponents } from '../install/components.ts';
import { installManifests } from '../install/manifests.ts';
import { yamlDocuments } from '../output/yaml.ts';
import { cliVersion } from '../version.ts';

/** The field manager of everything `eddy install` applies. */
export const installFieldManager = 'eddy';

/** Log levels the controllers accept. */
const logLevels = ['trace', 'debug', 'info', 'error'];

interface InstallOptions {
  components?: string[];
  export?: boolean;
  watchAllNamespaces: boolean;
  logLevel: string;
}

/** Registers `eddy install`. */
export function registerInstall(program: Command, contextOf: (cmd: Command) => CliContext): void {
  program
    .command('install')
    .description('Install or upgrade Eddy in the cluster: CRDs, RBAC and a Deployment per controller (or print them with --export)')
    .option('--components <names>', `controllers to install (comma-separated or repeated; default ${defaultComponents.join(',')})`, collect)
    .option('--watch-all-namespaces [bool]', 'controllers reconcile objects in every namespace (false: only their own)', booleanValue, true)
    .option('--log-level <level>', `controllers' log level: ${logLevels.join(', ')}`, 'info')
    .option('--export', 'print the manifests instead of applying them')
    .action(async (opts: InstallOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      if (!logLevels.includes(opts.logLevel)) throw new CliError(`invalid --log-level '${opts.logLevel}': expected one of ${logLevels.join(', ')}`, { usage: true });
      const components = selectComponents(opts.components);
      const manifests = await installManifests({ namespace: ctx.namespace, components, version: cliVersion, watchAllNamespaces: opts.watchAllNamespaces, logLevel: opts.logLevel });
      if (opts.export) {
        ctx.io.stdout.write(yamlDocuments(manifests));
        return;
      }
      ctx.progress.action(`installing components in ${ctx.namespace} namespace`);
      const manager = new ResourceManager({ kubeConfig: ctx.kubeConfig(), fieldManager: installFieldManager, logger: ctx.logger() });
      let changes;
      try {
        changes = await manager.applyAllStaged(manifests, { timeout: ctx.timeout, signal: ctx.signal() });
      } catch (err) {
        throw new CliError(`install failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      for (const line of changes.changes().map((e) => `${e.subject} ${e.action}`)) ctx.io.stderr.write(`${line}\n`);
      ctx.progress.waiting('verifying installation');
      const refs = components.map((c) => ({ group: 'apps', version: 'v1', kind: 'Deployment', namespace: ctx.namespace, name: c.name }));
      try {
        await waitForSet(ctx.kubeConfig(), refs, { signal: ctx.signal(), timeoutMs: ctx.timeout.milliseconds, intervalMs: 1_000 });
      } catch (err) {
        throw new CliError(`install failed within ${formatDuration(ctx.timeout)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      for (const c of components) ctx.progress.success(`${c.name}: deployment ready`);
      ctx.progress.success('install finished');
    });
}
