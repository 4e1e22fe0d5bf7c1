/**
 * The controllers Eddy installs and runs, as data: `eddy install` renders a Deployment (and a
 * Service where consumers reach it) per component from this table, and `eddy run` starts the
 * same components as local processes. Flux's six components are listed; the ones Eddy has not
 * built yet are marked so a request for them fails with a clear message.
 */
import { CliError } from '../errors.ts';

/** One port of a controller's container. */
export interface ComponentPort {
  name: string;
  containerPort: number;
}

/** One controller. */
export interface Component {
  /** Deployment, ServiceAccount and image name, e.g. `source-controller`. */
  name: string;
  /** Whether Eddy has built it (its package exists with src/main.ts and config/rbac.yaml). */
  available: boolean;
  /** Ports of its container (all controllers serve metrics on 8080 and probes on 9440). */
  ports: ComponentPort[];
  /** A Service in front of the container, for components other controllers reach (artifacts, events). */
  service?: { port: number; targetPort: string };
  /** Flags of the Deployment beyond the shared ones. */
  deploymentArgs: string[];
  /** Folders the container writes to (emptyDir volumes), besides /tmp. */
  dataDirs: string[];
  /** Installed when `--components` is not given. */
  default: boolean;
  /** The kinds it reconciles: their CRDs are installed with it. */
  kinds: string[];
}

const probes: ComponentPort[] = [
  { name: 'http-prom', containerPort: 8080 },
  { name: 'healthz', containerPort: 9440 },
];

/** Every component, in install order. */
export const components: readonly Component[] = [
  {
    name: 'source-controller',
    available: true,
    ports: [{ name: 'http', containerPort: 9090 }, ...probes],
    service: { port: 80, targetPort: 'http' },
    deploymentArgs: ['--storage-path=/data'],
    dataDirs: ['/data'],
    default: true,
    kinds: ['GitRepository', 'OCIRepository', 'HelmRepository', 'HelmChart', 'Bucket'],
  },
  { name: 'kustomize-controller', available: true, ports: probes, deploymentArgs: [], dataDirs: [], default: true, kinds: ['Kustomization'] },
  { name: 'helm-controller', available: false, ports: probes, deploymentArgs: [], dataDirs: [], default: false, kinds: ['HelmRelease'] },
  {
    name: 'notification-controller',
    available: false,
    ports: [{ name: 'http', containerPort: 9090 }, { name: 'http-webhook', containerPort: 9292 }, ...probes],
    service: { port: 80, targetPort: 'http' },
    deploymentArgs: [],
    dataDirs: [],
    default: false,
    kinds: ['Provider', 'Alert', 'Receiver'],
  },
  { name: 'image-reflector-controller', available: false, ports: probes, deploymentArgs: [], dataDirs: ['/data'], default: false, kinds: ['ImageRepository', 'ImagePolicy'] },
  { name: 'image-automation-controller', available: false, ports: probes, deploymentArgs: [], dataDirs: [], default: false, kinds: ['ImageUpdateAutomation'] },
];

/** The names `--components` defaults to. */
export const defaultComponents: readonly string[] = components.filter((c) => c.default).map((c) => c.name);

/**
 * The components a `--components` value names (comma-separated or repeated), in install order.
 * An unknown name, or one Eddy has not built yet, is a usage error listing what is available.
 */
export function selectComponents(values: readonly string[] | undefined): Component[] {
  const names = (values?.length ? values : defaultComponents).flatMap((v) => v.split(',')).map((n) => n.trim()).filter(Boolean);
  const available = components.filter((c) => c.available).map((c) => c.name).join(', ');
  for (const name of names) {
    const c = components.find((x) => x.name === name);
    if (!c) throw new CliError(`unknown component '${name}': available are ${available}`, { usage: true });
    if (!c.available) throw new CliError(`component '${name}' is not part of Eddy yet: available are ${available}`, { usage: true });
  }
  if (names.length === 0) throw new CliError('--components names no component', { usage: true });
  return components.filter((c) => names.includes(c.name));
}
