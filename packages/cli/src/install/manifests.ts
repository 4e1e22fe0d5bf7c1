/**
 * The objects `eddy install` applies (and `--export` prints): the namespace, the CRDs of the
 * chosen components (packages/api/crds), each component's RBAC (its generated
 * config/rbac.yaml, moved to the target namespace) and a Deployment per component (plus a
 * Service for those others reach). Every object carries `app.kubernetes.io/part-of: eddy` and
 * `app.kubernetes.io/instance: <namespace>`, which `eddy uninstall` and `eddy check` select by.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { kindInfo } from '@eddy/api';
import { CliError } from '../errors.ts';
import { packagesDir } from '../version.ts';
import type { Component } from './components.ts';

/** A Kubernetes object as plain JSON. */
export type Manifest = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> } };

/** What to install. */
export interface InstallSpec {
  namespace: string;
  components: readonly Component[];
  /** Image tag and `app.kubernetes.io/version`. */
  version: string;
  /** `--watch-all-namespaces` of every controller. */
  watchAllNamespaces: boolean;
  /** `--log-level` of every controller. */
  logLevel: string;
}

/** The label selecting everything one install applied. */
export function instanceSelector(namespace: string): string {
  return `app.kubernetes.io/part-of=eddy,app.kubernetes.io/instance=${namespace}`;
}

/** The labels of every installed object. */
function installLabels(spec: InstallSpec): Record<string, string> {
  return { 'app.kubernetes.io/instance': spec.namespace, 'app.kubernetes.io/part-of': 'eddy', 'app.kubernetes.io/version': spec.version };
}

/** Reads the YAML documents of a data file of a package, naming the file on failure. */
async function readManifests(path: string): Promise<Manifest[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Manifest | null)
    .filter((d): d is Manifest => d !== null);
}

/** The CRD file of a kind, as packages/api/crds names them (`<group>_<plural>.yaml`). */
export function crdFile(kind: string): string {
  const info = kindInfo(kind);
  if (!info) throw new Error(`no kind ${kind} in @eddy/api`);
  return join(packagesDir(), 'api', 'crds', `${info.group}_${info.plural}.yaml`);
}

/**
 * The component's RBAC (generated for flux-system) moved to `namespace`: namespaced objects and
 * ServiceAccount subjects into it, and cluster-scoped names suffixed `-<namespace>` (as Flux
 * names its ClusterRoles), so installs in two namespaces do not collide.
 */
export function retargetRbac(objects: readonly Manifest[], namespace: string): Manifest[] {
  const own = new Set(objects.filter((o) => o.kind === 'ClusterRole').map((o) => o.metadata.name));
  return objects.map((o) => {
    const out: Manifest = structuredClone(o);
    if (o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding') out.metadata.name = `${o.metadata.name}-${namespace}`;
    else out.metadata.namespace = namespace;
    const roleRef = out['roleRef'] as { kind?: string; name?: string } | undefined;
    if (roleRef?.kind === 'ClusterRole' && roleRef.name && own.has(roleRef.name)) roleRef.name = `${roleRef.name}-${namespace}`;
    for (const s of (out['subjects'] as { kind?: string; namespace?: string }[] | undefined) ?? []) if (s.kind === 'ServiceAccount') s.namespace = namespace;
    return out;
  });
}

/** The Deployment of a component. */
function deployment(c: Component, spec: InstallSpec, labels: Record<string, string>, eventsAddr: string): Manifest {
  const args = [
    ...(eventsAddr ? [`--events-addr=${eventsAddr}`] : []),
    `--watch-all-namespaces=${String(spec.watchAllNamespaces)}`,
    `--log-level=${spec.logLevel}`,
    '--log-encoding=json',
    '--enable-leader-election',
    ...c.deploymentArgs,
  ];
  const dirs = [...c.dataDirs, '/tmp'];
  const volumeName = (dir: string): string => dir.slice(1).replaceAll('/', '-') || 'root';
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: c.name, namespace: spec.namespace, labels: { ...labels, 'app.kubernetes.io/component': c.name, 'control-plane': 'controller' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: c.name } },
      template: {
        metadata: { labels: { app: c.name }, annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080' } },
        spec: {
          serviceAccountName: c.name,
          terminationGracePeriodSeconds: 60,
          securityContext: { fsGroup: 1337 },
          containers: [
            {
              name: 'manager',
              image: `eddy/${c.name}:${spec.version}`,
              imagePullPolicy: 'IfNotPresent',
              args,
              env: [{ name: 'RUNTIME_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }],
              ports: c.ports.map((p) => ({ ...p, protocol: 'TCP' })),
              livenessProbe: { httpGet: { path: '/healthz', port: 'healthz' } },
              readinessProbe: { httpGet: { path: '/readyz', port: 'healthz' } },
              resources: { limits: { cpu: '1000m', memory: '1Gi' }, requests: { cpu: '50m', memory: '64Mi' } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ['ALL'] },
                seccompProfile: { type: 'RuntimeDefault' },
              },
              volumeMounts: dirs.map((d) => ({ name: volumeName(d), mountPath: d })),
            },
          ],
          volumes: dirs.map((d) => ({ name: volumeName(d), emptyDir: {} })),
        },
      },
    },
  };
}

/** Every object of the install, in apply order (the apply stages definitions first anyway). */
export async function installManifests(spec: InstallSpec): Promise<Manifest[]> {
  const labels = installLabels(spec);
  const withLabels = (o: Manifest): Manifest => ({ ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, ...labels } } });
  const out: Manifest[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: spec.namespace, labels } }];
  for (const c of spec.components) for (const kind of c.kinds) out.push(...(await readManifests(crdFile(kind))).map(withLabels));
  const notification = spec.components.some((c) => c.name === 'notification-controller');
  const eventsAddr = notification ? `http://notification-controller.${spec.namespace}.svc.cluster.local./` : '';
  for (const c of spec.components) {
    const rbac = await readManifests(join(packagesDir(), c.name, 'config', 'rbac.yaml'));
    out.push(...retargetRbac(rbac, spec.namespace).map(withLabels));
    if (c.service) {
      out.push({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: c.name, namespace: spec.namespace, labels: { ...labels, 'app.kubernetes.io/component': c.name } },
        spec: { type: 'ClusterIP', selector: { app: c.name }, ports: [{ name: 'http', port: c.service.port, protocol: 'TCP', targetPort: c.service.targetPort }] },
      });
    }
    out.push(deployment(c, spec, labels, eventsAddr));
  }
  return out;
}

/** The image of a Deployment's first container (the controller's `manager`), or ''. */
export function deploymentImage(deployment: unknown): string {
  const containers = (deployment as { spec?: { template?: { spec?: { containers?: { image?: string }[] } } } } | undefined)?.spec?.template?.spec?.containers;
  return containers?.[0]?.image ?? '';
}
