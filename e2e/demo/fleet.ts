/**
 * The demo's sample fleet repository, in the layout Flux users know from the
 * flux2-kustomize-helm-example: `clusters/<cluster>/` holds the Kustomizations
 * (infrastructure.yaml: infra-controllers, then infra-configs; apps.yaml: apps, after the
 * infrastructure), `infrastructure/` a namespace with a ConfigMap standing in for a controller
 * and the cluster's settings, and `apps/` a podinfo base with a production overlay that sets its
 * image tag and replica count. `eddy bootstrap` adds `clusters/<cluster>/<namespace>/`.
 */
import { stringify } from 'yaml';

/** Where the sample puts things; the demo's test makes them unique. */
export interface FleetNames {
  /** Eddy's namespace: the Kustomizations live there, next to the GitRepository bootstrap names after it. */
  namespace: string;
  /** `clusters/<cluster>`, the bootstrap path. */
  cluster: string;
  appNamespace: string;
  infraNamespace: string;
}

/** A release of the app: what the production overlay pins. */
export interface Release {
  tag: string;
  replicas: number;
}

/** The image the app runs (on kwok no image is pulled: Pods are simulated). */
export const podinfoImage = 'stefanprodan/podinfo';

/** The release the sample starts with, and the one the demo commits to show a rollout. */
export const firstRelease: Release = { tag: '6.9.0', replicas: 2 };
export const nextRelease: Release = { tag: '6.9.1', replicas: 3 };

/** The names of the Kustomizations the sample defines, besides bootstrap's own. */
export const sampleKustomizations = ['infra-controllers', 'infra-configs', 'apps'];

/** How often `apps` is applied again: short, so the demo shows a `kubectl scale` being undone soon (10m is usual). */
export const appsInterval = '30s';

const yamlDocs = (...objects: object[]): string => objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');

function kustomization(n: FleetNames, name: string, spec: Record<string, unknown>): object {
  return {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name, namespace: n.namespace },
    spec: { interval: '1h', retryInterval: '1m', timeout: '5m', sourceRef: { kind: 'GitRepository', name: n.namespace }, prune: true, ...spec },
  };
}

/** The production overlay's kustomization.yaml for a release. */
export function productionOverlay(release: Release): string {
  return yamlDocs({
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: ['../base/podinfo'],
    images: [{ name: podinfoImage, newTag: release.tag }],
    replicas: [{ name: 'podinfo', count: release.replicas }],
    patches: [{ path: 'podinfo-patch.yaml' }],
  });
}

/** Every file of the sample (paths relative to the repository root), at {@link firstRelease}. */
export function sampleFleet(n: FleetNames): Record<string, string> {
  const kustomize = (resources: string[]): string => yamlDocs({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources });
  const namespace = (name: string): string => yamlDocs({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  const labels = { 'app.kubernetes.io/name': 'podinfo' };
  return {
    'README.md': `# Fleet\n\nThe Eddy demo's fleet repository. \`clusters/${n.cluster}/\` is what the cluster reconciles (bootstrap added \`${n.namespace}/\` there);\n\`infrastructure/\` comes first, then \`apps/production\`, an overlay of \`apps/base\`.\n`,
    [`clusters/${n.cluster}/infrastructure.yaml`]: yamlDocs(
      kustomization(n, 'infra-controllers', { path: './infrastructure/controllers', wait: true }),
      kustomization(n, 'infra-configs', { dependsOn: [{ name: 'infra-controllers' }], path: './infrastructure/configs' }),
    ),
    [`clusters/${n.cluster}/apps.yaml`]: yamlDocs(kustomization(n, 'apps', { dependsOn: [{ name: 'infra-configs' }], interval: appsInterval, retryInterval: '30s', path: './apps/production', wait: true })),
    'infrastructure/controllers/kustomization.yaml': kustomize(['namespace.yaml', 'config-controller.yaml']),
    'infrastructure/controllers/namespace.yaml': namespace(n.infraNamespace),
    'infrastructure/controllers/config-controller.yaml': yamlDocs({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'config-controller', namespace: n.infraNamespace },
      data: { role: 'stands in for an infrastructure controller (an ingress or certificate controller) that apps depend on' },
    }),
    'infrastructure/configs/kustomization.yaml': kustomize(['cluster-settings.yaml']),
    'infrastructure/configs/cluster-settings.yaml': yamlDocs({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cluster-settings', namespace: n.infraNamespace },
      data: { cluster: n.cluster, environment: 'production' },
    }),
    'apps/base/podinfo/kustomization.yaml': kustomize(['namespace.yaml', 'deployment.yaml', 'service.yaml']),
    'apps/base/podinfo/namespace.yaml': namespace(n.appNamespace),
    'apps/base/podinfo/deployment.yaml': yamlDocs({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'podinfo', namespace: n.appNamespace, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: 'podinfo',
                image: `${podinfoImage}:6.8.0`,
                ports: [{ name: 'http', containerPort: 9898 }],
                env: [{ name: 'PODINFO_UI_MESSAGE', value: 'base' }],
                resources: { requests: { cpu: '10m', memory: '32Mi' } },
              },
            ],
          },
        },
      },
    }),
    'apps/base/podinfo/service.yaml': yamlDocs({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'podinfo', namespace: n.appNamespace, labels },
      spec: { selector: labels, ports: [{ name: 'http', port: 9898, targetPort: 'http' }] },
    }),
    'apps/production/kustomization.yaml': productionOverlay(firstRelease),
    'apps/production/podinfo-patch.yaml': yamlDocs({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'podinfo', namespace: n.appNamespace },
      spec: { template: { spec: { containers: [{ name: 'podinfo', env: [{ name: 'PODINFO_UI_MESSAGE', value: 'production' }], resources: { limits: { memory: '128Mi' } } }] } } },
    }),
  };
}
