/** `eddy create kustomization <name>`: a Kustomization from flags named as the flux CLI's. */
import type { Command } from 'commander';
import type { ApiObject } from '@eddy/runtime';
import type { CliContext } from '../../context.ts';
import { CliError } from '../../errors.ts';
import { cliKind } from '../../kinds.ts';
import { collect, durationFlag } from '../../flags.ts';
import { createCommand, metadataOf, type CreateOptions } from './apply.ts';

interface KustomizationOptions extends CreateOptions {
  source: string;
  path: string;
  prune?: boolean;
  targetNamespace?: string;
  dependsOn?: string[];
  wait?: boolean;
  healthCheck?: string[];
  healthCheckTimeout?: string;
  retryInterval?: string;
  serviceAccount?: string;
  decryptionProvider?: string;
  decryptionSecret?: string;
}

/** Kinds a Kustomization may read from. */
const sourceKinds = ['GitRepository', 'OCIRepository', 'Bucket'];

/** The apiVersion of the kinds a health check usually names (Flux's CLI leaves it to the kind as well). */
const healthCheckApiVersions: Record<string, string> = {
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  ReplicaSet: 'apps/v1',
  Job: 'batch/v1',
  Service: 'v1',
  Pod: 'v1',
  ConfigMap: 'v1',
  Secret: 'v1',
  PersistentVolumeClaim: 'v1',
  Namespace: 'v1',
  Kustomization: 'kustomize.toolkit.fluxcd.io/v1',
  HelmRelease: 'helm.toolkit.fluxcd.io/v2',
};

/** Parses `--source [<kind>/]<name>[.<namespace>]` (kind defaults to GitRepository). */
export function parseSourceFlag(value: string): { kind: string; name: string; namespace?: string } {
  const slash = value.indexOf('/');
  const kindWord = slash === -1 ? 'GitRepository' : value.slice(0, slash);
  const rest = slash === -1 ? value : value.slice(slash + 1);
  const kind = cliKind(kindWord)?.api.kind;
  if (!kind || !sourceKinds.includes(kind)) throw new CliError(`invalid --source '${value}': the kind must be one of ${sourceKinds.join(', ')}`, { usage: true });
  const [name, namespace, extra] = rest.split('.');
  if (!name || extra !== undefined) throw new CliError(`invalid --source '${value}': expected [<kind>/]<name>[.<namespace>]`, { usage: true });
  return { kind, name, ...(namespace ? { namespace } : {}) };
}

/** Parses `--health-check <kind>/<name>.<namespace>`. */
function parseHealthCheck(value: string): Record<string, string> {
  const m = /^([A-Za-z]+)\/([^./]+)\.([^./]+)$/.exec(value);
  if (!m) throw new CliError(`invalid --health-check '${value}': expected <kind>/<name>.<namespace>`, { usage: true });
  const [, kind, name, namespace] = m as unknown as [string, string, string, string];
  const apiVersion = healthCheckApiVersions[kind];
  return { ...(apiVersion ? { apiVersion } : {}), kind, name, namespace };
}

/** Parses `--depends-on [<namespace>/]<name>`. */
function parseDependsOn(value: string): Record<string, string> {
  const [a, b, extra] = value.split('/');
  if (!a || extra !== undefined || b === '') throw new CliError(`invalid --depends-on '${value}': expected [<namespace>/]<name>`, { usage: true });
  return b === undefined ? { name: a } : { name: b, namespace: a };
}

/** The Kustomization the flags describe. */
export function kustomization(ctx: CliContext, name: string, opts: KustomizationOptions): ApiObject {
  const spec: Record<string, unknown> = {};
  if (opts.decryptionProvider) {
    if (opts.decryptionProvider !== 'sops') throw new CliError(`invalid --decryption-provider '${opts.decryptionProvider}': the only provider is sops`, { usage: true });
    spec['decryption'] = { provider: 'sops', ...(opts.decryptionSecret ? { secretRef: { name: opts.decryptionSecret } } : {}) };
  } else if (opts.decryptionSecret) {
    throw new CliError('--decryption-secret needs --decryption-provider=sops', { usage: true });
  }
  const dependsOn = (opts.dependsOn ?? []).flatMap((d) => d.split(',')).map(parseDependsOn);
  if (dependsOn.length) spec['dependsOn'] = dependsOn;
  const healthChecks = (opts.healthCheck ?? []).flatMap((h) => h.split(',')).map(parseHealthCheck);
  if (healthChecks.length) spec['healthChecks'] = healthChecks;
  spec['interval'] = durationFlag('interval', opts.interval);
  spec['path'] = opts.path;
  spec['prune'] = opts.prune ?? false;
  if (opts.retryInterval) spec['retryInterval'] = durationFlag('retry-interval', opts.retryInterval);
  if (opts.serviceAccount) spec['serviceAccountName'] = opts.serviceAccount;
  spec['sourceRef'] = parseSourceFlag(opts.source);
  if (opts.targetNamespace) spec['targetNamespace'] = opts.targetNamespace;
  if (opts.healthCheckTimeout) spec['timeout'] = durationFlag('health-check-timeout', opts.healthCheckTimeout);
  if (opts.wait) spec['wait'] = true;
  return { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: metadataOf(ctx, name, opts), spec };
}

/** Registers `create kustomization`. */
export function registerCreateKustomization(create: Command, contextOf: (cmd: Command) => CliContext): void {
  const cmd = create
    .command('kustomization')
    .aliases(['ks', 'kustomizations'])
    .description('Create or update a Kustomization')
    .argument('<name>', 'name of the Kustomization')
    .requiredOption('--source <source>', 'source of the manifests: [<kind>/]<name>[.<namespace>], kind GitRepository (default), OCIRepository or Bucket')
    .option('--path <path>', 'path of the manifests in the source', './')
    .option('--prune', 'delete the objects that leave the source')
    .option('--target-namespace <namespace>', 'namespace every object is put in')
    .option('--depends-on <ref>', 'Kustomizations that must be Ready first: [<namespace>/]<name> (comma-separated or repeated)', collect)
    .option('--wait', 'wait for every applied object to be ready (health-checks all of them)')
    .option('--health-check <ref>', 'object whose readiness is checked: <kind>/<name>.<namespace> (comma-separated or repeated)', collect)
    .option('--health-check-timeout <duration>', 'time limit of applying and health checking (spec.timeout)')
    .option('--retry-interval <duration>', 'how soon a failed reconciliation is retried')
    .option('--service-account <name>', 'ServiceAccount the objects are applied as')
    .option('--decryption-provider <provider>', 'decrypt SOPS-encrypted manifests: sops')
    .option('--decryption-secret <name>', 'Secret with the decryption keys');
  createCommand<KustomizationOptions>(cmd, contextOf, 'how often the manifests are applied again', kustomization);
}
