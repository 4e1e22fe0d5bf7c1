/**
 * The offline half of `eddy build` / `eddy diff`: a Kustomization's spec (from the cluster, or
 * from `--kustomization-file`) rendered against a local folder with @eddy/kustomize's
 * `render` — the same decrypt → kustomize build → decrypt → substitute sequence
 * kustomize-controller runs — on a copy of the folder's repository, so the user's files are
 * never touched.
 */
import { cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Kustomization } from '@eddy/api';
import { Decryptor, collectVariables, loadDecryptor, render } from '@eddy/kustomize';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { cliKind, type CliKind } from '../kinds.ts';
import { getObject } from '../objects.ts';

/** Flags `eddy build` and `eddy diff` share. */
export interface LocalBuildOptions {
  path: string;
  kustomizationFile?: string;
  /** Never contact the cluster (`eddy build --dry-run`; needs `--kustomization-file`). */
  dryRun?: boolean;
}

const kustomizationKind = (): CliKind => cliKind('Kustomization') as CliKind;

/** The Kustomization named `name`: from `--kustomization-file` when given, else from the cluster. */
export async function loadKustomization(ctx: CliContext, name: string, opts: LocalBuildOptions): Promise<Kustomization> {
  if (!opts.kustomizationFile) {
    if (opts.dryRun) throw new CliError('--dry-run needs --kustomization-file: without the cluster the Kustomization comes from a file', { usage: true });
    return (await getObject(ctx, kustomizationKind(), name)) as unknown as Kustomization;
  }
  const file = resolve(ctx.io.cwd, opts.kustomizationFile);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read --kustomization-file ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const docs = parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown> | null);
  const found = docs.find((d) => d?.['kind'] === 'Kustomization' && String(d['apiVersion']).startsWith('kustomize.toolkit.fluxcd.io/') && (d['metadata'] as { name?: string } | undefined)?.name === name);
  if (!found) throw new CliError(`${file} holds no Kustomization named '${name}' (kind Kustomization, apiVersion kustomize.toolkit.fluxcd.io/v1)`);
  const ks = found as unknown as Kustomization;
  ks.metadata.namespace ??= ctx.namespace;
  return ks;
}

/** The folder the local tree is copied from: the git work tree holding `path` (so `../base` references resolve), else `path` itself. */
async function sourceRoot(path: string): Promise<string> {
  for (let dir = path; ; dir = dirname(dir)) {
    if (await stat(join(dir, '.git')).then(() => true, () => false)) return dir;
    if (dirname(dir) === dir) return path;
  }
}

/** Renders the Kustomization against the local folder `opts.path` and returns the objects it would apply (Secrets unmasked). */
export async function renderLocal(ctx: CliContext, ks: Kustomization, opts: LocalBuildOptions): Promise<Record<string, unknown>[]> {
  const path = resolve(ctx.io.cwd, opts.path);
  if (!(await stat(path).then((s) => s.isDirectory(), () => false))) throw new CliError(`--path ${path} is not a folder`, { usage: true });
  const root = await sourceRoot(path);
  const work = await mkdtemp(join(tmpdir(), 'eddy-build-'));
  try {
    // A copy: decryption and the generated kustomization.yaml write into the tree.
    const copy = join(work, basename(root) || 'source');
    await cp(root, copy, { recursive: true, filter: (src) => !src.split(sep).includes('.git') });
    const namespace = ks.metadata.namespace ?? ctx.namespace;
    const client = opts.dryRun ? undefined : ctx.client();
    const decryptor = client && ks.spec.decryption ? await loadDecryptor(client, namespace, ks.spec.decryption, ctx.signal()) : new Decryptor(undefined);
    const postBuild = ks.spec.postBuild;
    const variables = !postBuild ? {} : client ? await collectVariables(client, namespace, postBuild, ctx.signal()) : { ...postBuild.substitute };
    const env = { PATH: ctx.io.env['PATH'] ?? '/usr/bin:/bin', HOME: ctx.io.env['HOME'] ?? tmpdir() };
    return await render(copy, { ...ks.spec, path: relative(root, path) || './' }, 'local', {
      kustomizeBin: 'kustomize',
      env,
      workDir: work,
      timeoutMs: ctx.timeout.milliseconds,
      signal: ctx.signal(),
      decryptor,
      variables,
    });
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`building Kustomization ${ks.metadata.namespace ?? ''}/${ks.metadata.name ?? ''} from ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
