/**
 * @eddy/kustomize: how a Kustomization's manifests are rendered from a source tree — SOPS
 * decryption of the sources, the real `kustomize build` with the Kustomization's
 * transformations, SOPS decryption of the built objects, then post-build substitution.
 * kustomize-controller renders with it, and so does the CLI's offline `eddy build` / `eddy diff`,
 * so what a user previews is what the controller applies.
 */
export { build, generatedKustomization, overlayKustomization, parseManifests, type BuildOptions, type BuildSpec } from './build.ts';
export { Decryptor, loadDecryptor, parseAgeIdentities, type AgeIdentity, type DecryptionKeys } from './decrypt.ts';
export { collectVariables, envsubst, substituteVariables, variableNamePattern, type SubstituteOptions } from './substitute.ts';
export { render, type RenderOptions, type RenderSpec } from './render.ts';
