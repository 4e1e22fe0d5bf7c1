/**
 * Vitest global setup: one environment per test run. It uses, in order, the environment named
 * by `EDDY_ENV_FILE` (set by `npm test`), the developer's running `npm run env:up`
 * environment, or starts one of its own for this run and stops it afterwards.
 */
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { environmentRunning, startEnvironment, stopEnvironment } from './env/environment.ts';
import { repoRoot } from './repo-root.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    eddyEnvFile: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env['EDDY_ENV_FILE'];
  if (given) {
    project.provide('eddyEnvFile', given);
    return async () => undefined;
  }
  const devState = join(repoRoot(), '.eddy', 'env');
  if (await environmentRunning(devState)) {
    project.provide('eddyEnvFile', join(devState, 'env.json'));
    return async () => undefined;
  }
  const stateDir = join(repoRoot(), '.eddy', 'test-env', String(process.pid));
  await startEnvironment({ stateDir });
  project.provide('eddyEnvFile', join(stateDir, 'env.json'));
  return async () => {
    await stopEnvironment(stateDir);
  };
}
