/**
 * @eddy/testkit/env: the real environment without any test-runner dependency, for the env
 * command line and vitest's global setup.
 */
export {
  environmentRunning,
  startComponent,
  startEnvironment,
  stopComponent,
  stopEnvironment,
  type StartEnvironmentOptions,
} from './environment.ts';
export { readEnvInfo, type BasicAuth, type EnvInfo, type TokenUser } from './info.ts';
export { runCommand, tailLog, type ProcessRecord } from './process.ts';
export { ensureTools } from '../tools/build.ts';
export { repoRoot } from '../repo-root.ts';
export { installEddyCrds } from '../crds.ts';
