/**
 * `eddy uninstall`: remove what `eddy install` put into `--namespace`, as `flux uninstall`
 * does — the controllers (Deployments, Services, RBAC), then the finalizers of the Flux objects
 * they managed (so deleting those objects never waits for a controller that is gone, and never
 * prunes: the workloads Eddy applied stay), then the CRDs (which deletes the Flux objects) and
 * the namespace. `--keep-namespace` and `--keep-crds` leave those; `--dry-run` only prints.
 */
import type { Command } from 'commander';
import type { ApiObject, ObjectClient, ObjectRef } from '@eddy/runtime';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { cliKinds } from '../kinds.ts';
import { clientError, listObjects } from '../objects.ts';
import { instanceSelector } from '../install/manifests.ts';

interface UninstallOptions {
  keepNamespace?: boolean;
  keepCrds?: boolean;
  dryRun?: boolean;
  silent?: boolean;
}

/** The kinds of the controllers' own objects, namespaced and cluster-scoped. */
const componentKinds = [
  { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', namespaced: true },
  { apiVersion: 'v1', kind: 'Service', plural: 'services', namespaced: true },
  { apiVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', plural: 'clusterroles', namespaced: false },
];

/** `Kind/namespace/name` or `Kind/name`. */
function subject(o: ApiObject): string {
  return o.metadata.namespace ? `${o.kind}/${o.metadata.namespace}/${o.metadata.name ?? ''}` : `${o.kind}/${o.metadata.name ?? ''}`;
}

/** A stub of an object the client can address. */
function stub(o: ApiObject): ObjectRef {
  return { apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.metadata.name ?? '', ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) } };
}

/**
 * The namespace whose Flux objects the installed controllers managed: only their own when every
 * one runs with `--watch-all-namespaces=false`, else every namespace (undefined).
 */
function managedScope(deployments: readonly ApiObject[], namespace: string): string | undefined {
  const args = (d: ApiObject): string[] => ((d['spec'] as { template?: { spec?: { containers?: { args?: string[] }[] } } } | undefined)?.template?.spec?.containers ?? []).flatMap((c) => c.args ?? []);
  return deployments.length > 0 && deployments.every((d) => args(d).includes('--watch-all-namespaces=false')) ? namespace : undefined;
}

/** Registers `eddy uninstall`. */
export function registerUninstall(program: Command, contextOf: (cmd: Command) => CliContext): void {
  program
    .command('uninstall')
    .description('Remove Eddy from the cluster: controllers, RBAC, CRDs and namespace; the workloads Eddy applied stay')
    .option('--keep-namespace', 'leave the namespace')
    .option('--keep-crds', 'leave the CRDs and the Flux objects (their finalizers are still removed)')
    .option('--dry-run', 'only print what would be deleted')
    .option('-s, --silent', 'do not ask for confirmation')
    .action(async (opts: UninstallOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      const ns = ctx.namespace;
      if (!opts.dryRun && !opts.silent) {
        if (!ctx.io.confirm) throw new CliError('eddy uninstall asks for confirmation: run it in a terminal or pass --silent', { usage: true });
        if (!(await ctx.io.confirm(`Delete Eddy's components${opts.keepCrds ? '' : ', its CRDs and every Flux object'} from namespace ${ns}?`))) throw new CliError('uninstall cancelled');
      }
      const client = ctx.client();
      const signal = ctx.signal();
      const done = (what: string): void => (opts.dryRun ? ctx.progress.action(`${what} (dry run)`) : ctx.progress.success(what));
      const remove = async (o: ApiObject): Promise<void> => {
        if (!opts.dryRun) {
          try {
            await client.delete(stub(o), 'Background', signal);
          } catch (err) {
            throw clientError(err, `deleting ${subject(o)}`);
          }
        }
        done(`${subject(o)} deleted`);
      };

      // The controllers first, so none re-adds a finalizer or acts on a deletion below.
      ctx.progress.action(`deleting components in ${ns} namespace`);
      const found = new Map<string, ApiObject[]>();
      for (const k of componentKinds) {
        try {
          const { items } = await client.list<ApiObject>({ apiVersion: k.apiVersion, plural: k.plural, ...(k.namespaced ? { namespace: ns } : {}) }, { labelSelector: instanceSelector(ns) }, signal);
          found.set(k.kind, items.map((o) => ({ ...o, apiVersion: k.apiVersion, kind: k.kind })));
        } catch (err) {
          throw clientError(err, `listing ${k.plural}`);
        }
      }
      const scope = managedScope(found.get('Deployment') ?? [], ns);
      for (const k of componentKinds) for (const o of found.get(k.kind) ?? []) await remove(o);

      // Finalizers of the Flux objects the controllers managed: their deletion must not wait for a controller.
      ctx.progress.action(`deleting finalizers of Flux objects in ${scope ? `${scope} namespace` : 'all namespaces'}`);
      for (const kind of cliKinds) {
        for (const o of (await listObjects(ctx, kind, scope)) ?? []) {
          if (!o.metadata.finalizers?.length) continue;
          if (!opts.dryRun) {
            try {
              await client.mergePatch(stub(o), { metadata: { finalizers: null } }, {}, signal);
            } catch (err) {
              throw clientError(err, `removing the finalizers of ${subject(o)}`);
            }
          }
          done(`${subject(o)} finalizers deleted`);
        }
      }

      if (!opts.keepCrds) {
        ctx.progress.action('deleting CRDs');
        const crds = await crdsOf(client, ns, signal);
        for (const o of crds) await remove(o);
      }
      if (!opts.keepNamespace) {
        ctx.progress.action(`deleting namespace ${ns}`);
        await remove({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      }
      ctx.progress.success(opts.dryRun ? 'uninstall dry run finished' : 'uninstall finished');
    });
}

/** The CRDs this install applied (labelled with its instance). */
async function crdsOf(client: ObjectClient, namespace: string, signal: AbortSignal): Promise<ApiObject[]> {
  try {
    const { items } = await client.list<ApiObject>({ apiVersion: 'apiextensions.k8s.io/v1', plural: 'customresourcedefinitions' }, { labelSelector: instanceSelector(namespace) }, signal);
    return items.map((o) => ({ ...o, apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' }));
  } catch (err) {
    throw clientError(err, 'listing CRDs');
  }
}
