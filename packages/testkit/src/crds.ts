/** Installing Eddy's CRDs (packages/api/crds) into the environment's cluster, as `kubectl apply` does. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { EnvInfo } from './env/info.ts';
import { runCommand } from './env/process.ts';
import { repoRoot } from './repo-root.ts';

/**
 * Applies every CRD of packages/api/crds with the real kubectl (server-side, idempotent) and
 * waits until they are Established.
 */
export async function installEddyCrds(env: EnvInfo): Promise<void> {
  const dir = join(repoRoot(), 'packages', 'api', 'crds');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).map((f) => join(dir, f));
  const kubectl = (args: string[]): Promise<string> => runCommand(env.tools.kubectl, ['--kubeconfig', env.kubeconfig, ...args]);
  const applied = await kubectl(['apply', '--server-side', '--force-conflicts', '-o', 'name', ...files.flatMap((f) => ['-f', f])]);
  const names = applied.split('\n').filter(Boolean);
  await kubectl(['wait', '--for=condition=Established', '--timeout=60s', ...names]);
}
