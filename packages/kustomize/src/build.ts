/**
 * Building a Kustomization's manifests with the real `kustomize`: generate a kustomization.yaml
 * for plain manifests (as Flux does), write the Kustomization's transformations into an
 * overlay that references the path, run `kustomize build`, and parse its output into objects.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { isSeq, parseAllDocuments, parseDocument, stringify } from 'yaml';
import { Reason, type KustomizationSpec } from '@eddy/api';
import { ReconcileError, StallingError, withDeadline } from '@eddy/runtime';

/** Options of {@link build}. */
export interface BuildOptions {
  /** Path of the `kustomize` binary (`--kustomize-bin`). */
  kustomizeBin: string;
  timeoutMs: number;
  signal: AbortSignal;
  /** Largest kustomize output accepted, in bytes (default 64 MiB). */
  maxOutputBytes?: number;
  /** Environment of the kustomize process (PATH, HOME), from main.ts; nothing else leaks in. */
  env?: Record<string, string>;
  /** A scratch folder outside `root` for the generated overlay; `root`'s parent by default. */
  workDir?: string;
}

/** The file names kustomize recognises as a kustomization. */
export const kustomizationFiles = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
/** The most stderr bytes kept for an error message. */
const maxStderrBytes = 16 * 1024;

/** The spec fields that {@link build} applies through an overlay. */
export type BuildSpec = Pick<KustomizationSpec, 'path' | 'targetNamespace' | 'namePrefix' | 'nameSuffix' | 'images' | 'patches' | 'commonMetadata' | 'components' | 'ignoreMissingComponents'>;

/**
 * Builds `spec.path` of the extracted artifact at `root` (of `revision`) and returns the
 * objects. A missing path is a StallingError; a kustomize failure or malformed output a
 * ReconcileError (BuildFailed) quoting kustomize.
 */
export async function build(root: string, spec: BuildSpec, revision: string, opts: BuildOptions): Promise<Record<string, unknown>[]> {
  const specPath = spec.path || './';
  const dir = resolve(root, specPath);
  if ((dir !== root && !dir.startsWith(root + sep)) || !(await isDirectory(dir))) {
    throw new StallingError(Reason.BuildFailed, `kustomization path not found: '${specPath}' in revision '${revision}'`);
  }
  if (!(await hasKustomization(dir))) await writeFile(join(dir, 'kustomization.yaml'), stringify(await generatedKustomization(dir)));
  if (spec.components?.length) await addComponents(root, dir, spec);
  const overlay = overlayKustomization(spec);
  let target = dir;
  if (overlay) {
    // Outside the tree it builds: kustomize refuses an overlay inside its own base ("cycle detected").
    target = await mkdtemp(join(opts.workDir ?? dirname(root), '.eddy-overlay-'));
    await writeFile(join(target, 'kustomization.yaml'), stringify({ ...overlay, resources: [relative(target, dir)] }));
  }
  const output = await runKustomize(opts, ['build', target, '--load-restrictor=LoadRestrictionsNone'], root);
  return parseManifests(output);
}

/**
 * The overlay kustomization that applies the Kustomization's transformations, or undefined
 * when there are none.
 */
export function overlayKustomization(spec: BuildSpec): Record<string, unknown> | undefined {
  const k: Record<string, unknown> = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization' };
  if (spec.targetNamespace) k['namespace'] = spec.targetNamespace;
  if (spec.namePrefix) k['namePrefix'] = spec.namePrefix;
  if (spec.nameSuffix) k['nameSuffix'] = spec.nameSuffix;
  if (spec.images?.length) k['images'] = spec.images;
  if (spec.patches?.length) k['patches'] = spec.patches;
  const labels = spec.commonMetadata?.labels;
  if (labels && Object.keys(labels).length) k['labels'] = [{ pairs: labels, includeSelectors: false, includeTemplates: false }];
  const annotations = spec.commonMetadata?.annotations;
  if (annotations && Object.keys(annotations).length) k['commonAnnotations'] = annotations;
  return Object.keys(k).length > 2 ? k : undefined;
}

/**
 * Adds `spec.components` (paths relative to `spec.path`) to the kustomization at `dir`, as
 * Flux does, so they compose with its resources before its own transformers. A component
 * outside the source is refused; a missing one fails the build unless `ignoreMissingComponents`.
 */
async function addComponents(root: string, dir: string, spec: BuildSpec): Promise<void> {
  const components: string[] = [];
  for (const c of spec.components ?? []) {
    const path = resolve(dir, c);
    if (path !== root && !path.startsWith(root + sep)) throw new StallingError(Reason.BuildFailed, `component '${c}' of spec.components is outside the source`);
    if (await isDirectory(path)) components.push(c);
    else if (!spec.ignoreMissingComponents) throw new ReconcileError(Reason.BuildFailed, `component '${c}' of spec.components not found in '${spec.path || './'}'`);
  }
  if (components.length === 0) return;
  for (const name of kustomizationFiles) {
    const file = join(dir, name);
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const doc = parseDocument(text);
    if (doc.errors.length > 0) throw new ReconcileError(Reason.BuildFailed, `failed to parse ${relative(root, file)}: ${doc.errors[0]?.message ?? ''}`);
    const existing = doc.get('components');
    const list = isSeq(existing) ? existing : doc.createNode([]);
    for (const c of components) list.add(c);
    doc.set('components', list);
    await writeFile(file, doc.toString());
    return;
  }
}

/**
 * The kustomization Flux generates for a folder of plain manifests: every non-hidden
 * *.yaml/*.yml, recursively, except that a sub-folder with its own kustomization is listed as
 * one resource and not entered (so a `flux-system/` folder written by bootstrap, whose
 * kustomization.yaml is no Kubernetes object, builds as the kustomization it is).
 */
export async function generatedKustomization(dir: string): Promise<Record<string, unknown>> {
  const resources: string[] = [];
  const walk = async (sub: string): Promise<void> => {
    const entries = await readdir(join(dir, sub), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const rel = sub ? `${sub}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (await hasKustomization(join(dir, rel))) resources.push(rel);
        else await walk(rel);
      } else if (e.isFile() && /\.ya?ml$/.test(e.name)) resources.push(rel);
    }
  };
  await walk('');
  return { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources };
}

/** Parses kustomize's multi-document YAML output into objects; malformed YAML names the document. */
export function parseManifests(output: string): Record<string, unknown>[] {
  const objects: Record<string, unknown>[] = [];
  parseAllDocuments(output).forEach((doc, i) => {
    if (doc.errors.length > 0) throw new ReconcileError(Reason.BuildFailed, `failed to parse document ${i + 1} of the build output: ${doc.errors[0]?.message ?? ''}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    if (typeof value !== 'object' || Array.isArray(value)) throw new ReconcileError(Reason.BuildFailed, `document ${i + 1} of the build output is not an object`);
    objects.push(value as Record<string, unknown>);
  });
  return objects;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function hasKustomization(dir: string): Promise<boolean> {
  for (const name of kustomizationFiles) {
    try {
      if ((await stat(join(dir, name))).isFile()) return true;
    } catch {
      // Not this name.
    }
  }
  return false;
}

/** Runs kustomize with an argument array, bounded in time and output; errors quote its stderr (with `root` removed from paths). */
function runKustomize(opts: BuildOptions, args: string[], root: string): Promise<string> {
  const maxOutput = opts.maxOutputBytes ?? 64 * 1024 * 1024;
  return withDeadline(opts.timeoutMs, opts.signal, (signal) => new Promise<string>((resolvePromise, reject) => {
    const child = spawn(opts.kustomizeBin, args, {
      cwd: root,
      env: opts.env ?? { PATH: '/usr/bin:/bin' },
      stdio: ['ignore', 'pipe', 'pipe'],
      signal,
    });
    const out: Buffer[] = [];
    let outSize = 0;
    let err = '';
    let failure: string | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      outSize += chunk.length;
      if (outSize > maxOutput) {
        failure ??= `kustomize build output is larger than the ${maxOutput} bytes allowed`;
        child.kill('SIGKILL');
      } else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (err.length < maxStderrBytes) err += chunk.toString('utf8').slice(0, maxStderrBytes - err.length);
    });
    child.on('error', (e) => {
      failure ??= e.name === 'AbortError' ? `kustomize build did not finish within ${opts.timeoutMs}ms or was cancelled` : `failed to run kustomize: ${e.message}`;
    });
    child.on('close', (code) => {
      if (failure) return reject(new ReconcileError(Reason.BuildFailed, failure));
      if (code !== 0) {
        const message = err.trim().replaceAll(root + sep, '').replaceAll(root, '.') || `kustomize exited with code ${String(code)}`;
        return reject(new ReconcileError(Reason.BuildFailed, `kustomize build failed: ${message}`));
      }
      resolvePromise(Buffer.concat(out).toString('utf8'));
    });
  }));
}
