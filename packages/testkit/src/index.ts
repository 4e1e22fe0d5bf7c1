/**
 * @eddy/testkit: the real test environment and the fixtures tests use with it. Test-only:
 * production code never imports it (lint enforces this).
 */
import { readFileSync } from 'node:fs';
import { inject } from 'vitest';
import type { EnvInfo } from './env/info.ts';

export * from './env/index.ts';
export { eventually, type EventuallyOptions } from './eventually.ts';
export { keepUninstallInNamespace, kubeConfig, testNamespace, uniqueName } from './kube.ts';
export { createGitRepo, gitSshEnv, type GitServerRepo } from './git.ts';
export { getBlob, getManifest, ociManifestMediaType, pushArtifact, pushBlob, pushManifest, sha256Digest, type RegistryEndpoint } from './oci.ts';
export { chartPath, publishChart } from './helm.ts';
export { ageKeygen, sopsEncrypt, type AgeKey, type SopsTestFormat } from './sops.ts';
export { installEddyCrds } from './crds.ts';
export { testManagerOptions, type TestManagerSettings } from './manager.ts';
export { installWidgetCrd, widgetApiVersion, widgetCrd, widgetGroup, widgetPlural, widgetVersion, type Widget } from './widget.ts';

let cached: EnvInfo | undefined;

/** The environment of this test run (see global-setup.ts). */
export function testEnv(): EnvInfo {
  cached ??= JSON.parse(readFileSync(inject('eddyEnvFile'), 'utf8')) as EnvInfo;
  return cached;
}
