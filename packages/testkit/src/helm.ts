/** Charts in the environment's Helm HTTP repository. */
import { join } from 'node:path';
import type { EnvInfo } from './env/info.ts';
import { runCommand } from './env/process.ts';

/**
 * Packages a chart folder with the real `helm package` into the repository and re-indexes it,
 * so both Helm repositories serve it. Returns the archive's file name.
 */
export async function publishChart(env: EnvInfo, chartDir: string): Promise<string> {
  const out = await runCommand(env.tools.helm, ['package', chartDir, '--destination', env.helm.dir]);
  const archive = /saved it to: (.+\.tgz)/.exec(out)?.[1];
  if (!archive) throw new Error(`helm package printed no archive path: ${out}`);
  await runCommand(env.tools.helm, ['repo', 'index', env.helm.dir, '--url', env.helm.plain.url]);
  return archive.slice(archive.lastIndexOf('/') + 1);
}

/** Writes nothing: the path of a chart archive in the repository folder. */
export function chartPath(env: EnvInfo, archive: string): string {
  return join(env.helm.dir, archive);
}
