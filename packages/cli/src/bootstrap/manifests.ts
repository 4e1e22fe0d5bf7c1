/**
 * What `eddy bootstrap` writes into the repository, in Flux's layout so a fleet repository
 * bootstrapped by flux keeps working: `<path>/<namespace>/gotk-components.yaml` (what
 * `eddy install` applies), `<path>/<namespace>/gotk-sync.yaml` (a GitRepository and a
 * Kustomization, both named after the namespace, that make the cluster reconcile `<path>`,
 * itself included) and `<path>/<namespace>/kustomization.yaml` listing the two.
 */
import { posix } from 'node:path';
import { stringify } from 'yaml';
import type { ApiObject } from '@eddy/runtime';
import { CliError } from '../errors.ts';
import type { Manifest } from '../install/manifests.ts';
import { yamlDocuments } from '../output/yaml.ts';

/** The three files, by their path in the repository. */
export interface BootstrapLayout {
  /** The folder, e.g. `clusters/demo/flux-system`. */
  dir: string;
  components: string;
  sync: string;
  kustomization: string;
}

/** What the sync objects point at. */
export interface SyncSpec {
  /** Namespace of the controllers, and the name of both objects and of the Secret's default. */
  namespace: string;
  url: string;
  branch: string;
  /** The sync path, normalized by {@link normalizePath}: '' for the repository root. */
  path: string;
  /** `--interval` of the GitRepository, a Go duration. */
  interval: string;
  /** The Secret with the credentials; none for a repository read without them. */
  secretName?: string;
}

/**
 * `--path` as a clean relative path without `./` or trailing slashes (`''` for the root).
 * Absolute paths and paths leaving the repository are usage errors.
 */
export function normalizePath(path: string): string {
  const clean = posix.normalize(path.trim() || '.').replace(/\/+$/, '');
  if (clean.startsWith('/') || clean === '..' || clean.startsWith('../')) throw new CliError(`invalid --path '${path}': expected a path inside the repository, e.g. clusters/my-cluster`, { usage: true });
  return clean === '.' ? '' : clean;
}

/** The Kustomization's `spec.path` for a normalized sync path: `./clusters/demo`, or `./` for the root. */
export function kustomizationPath(path: string): string {
  return path ? `./${path}` : './';
}

/** Where the files go for a sync path and namespace. */
export function bootstrapLayout(path: string, namespace: string): BootstrapLayout {
  const dir = path ? `${path}/${namespace}` : namespace;
  return { dir, components: `${dir}/gotk-components.yaml`, sync: `${dir}/gotk-sync.yaml`, kustomization: `${dir}/kustomization.yaml` };
}

/** gotk-components.yaml: a header saying what wrote it, then the install manifests. */
export function componentsFile(manifests: readonly Manifest[], version: string, components: readonly string[]): string {
  const header = [
    '# Eddy components, written by eddy bootstrap: edit the flags and run it again rather than this file.',
    `# Eddy version: v${version}`,
    `# Components: ${components.join(',')}`,
  ];
  return `${header.join('\n')}\n${yamlDocuments(manifests)}`;
}

/** The GitRepository and the Kustomization that make the cluster reconcile the sync path. */
export function syncObjects(spec: SyncSpec): ApiObject[] {
  const name = spec.namespace;
  return [
    {
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'GitRepository',
      metadata: { name, namespace: spec.namespace },
      spec: {
        interval: spec.interval,
        ref: { branch: spec.branch },
        ...(spec.secretName ? { secretRef: { name: spec.secretName } } : {}),
        url: spec.url,
      },
    },
    {
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: { name, namespace: spec.namespace },
      spec: {
        interval: '10m0s',
        path: kustomizationPath(spec.path),
        prune: true,
        sourceRef: { kind: 'GitRepository', name },
      },
    },
  ];
}

/** gotk-sync.yaml. */
export function syncFile(spec: SyncSpec): string {
  return yamlDocuments(syncObjects(spec));
}

/** kustomization.yaml of the folder: the two files. Written only when missing, so patches added to it stay. */
export function kustomizationFile(): string {
  return stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['gotk-components.yaml', 'gotk-sync.yaml'] });
}
