/**
 * Rendering a Kustomization: the one sequence both kustomize-controller and the CLI's offline
 * `eddy build` / `eddy diff` run, so a preview is exactly what the controller would apply.
 *
 *   decrypt the SOPS files kustomize reads → kustomize build (with the spec's transformations)
 *   → decrypt SOPS-encrypted objects → post-build substitution
 */
import type { KustomizationSpec } from '@eddy/api';
import { build, type BuildOptions, type BuildSpec } from './build.ts';
import type { Decryptor } from './decrypt.ts';
import { substituteVariables } from './substitute.ts';

/** The spec fields rendering reads. */
export type RenderSpec = BuildSpec & Pick<KustomizationSpec, 'postBuild'>;

/** Options of {@link render}. */
export interface RenderOptions extends BuildOptions {
  /** The SOPS decryptor of `spec.decryption` (one without keys refuses encrypted content). */
  decryptor: Decryptor;
  /** The post-build variables (`collectVariables`), used when the spec has `postBuild`. */
  variables?: Record<string, string>;
}

/** Renders `spec.path` of the source tree at `root` (of `revision`) into the objects to apply. */
export async function render(root: string, spec: RenderSpec, revision: string, opts: RenderOptions): Promise<Record<string, unknown>[]> {
  await opts.decryptor.decryptSources(root, spec.path);
  const objects = await opts.decryptor.decryptObjects(await build(root, spec, revision, opts));
  const postBuild = spec.postBuild;
  if (!postBuild) return objects;
  return substituteVariables(objects, opts.variables ?? {}, { strict: true, ...(postBuild.substituteStrategy ? { substituteStrategy: postBuild.substituteStrategy } : {}) });
}
