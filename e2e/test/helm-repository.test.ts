// The Helm HTTP repository: charts made by the real `helm package`, served with and without
// basic auth, installed by the real `helm` into the local cluster.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publishChart, runCommand, testEnv, testNamespace, uniqueName } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'eddy-helm-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

/** Runs the real helm with its config, cache and data inside this test's folder. */
async function helm(args: string[]): Promise<string> {
  const env = testEnv();
  return await runCommand(env.tools.helm, [...args, '--kubeconfig', env.kubeconfig], {
    env: {
      ...process.env,
      HELM_CONFIG_HOME: join(home, 'config'),
      HELM_CACHE_HOME: join(home, 'cache'),
      HELM_DATA_HOME: join(home, 'data'),
    },
    timeoutMs: 180_000,
  });
}

describe('Helm HTTP repository', () => {
  it('serves a packaged chart that helm installs from the auth repository, and helm ls lists it', async () => {
    const env = testEnv();
    const ns = await testNamespace(env, 'helm');
    const chart = uniqueName('webapp');
    await helm(['create', join(home, chart)]);
    const archive = await publishChart(env, join(home, chart));
    expect(archive).toBe(`${chart}-0.1.0.tgz`);

    await expect(helm(['repo', 'add', 'anon', env.helm.auth.url])).rejects.toThrow(/401/);
    await helm(['repo', 'add', 'eddy', env.helm.auth.url, '--username', env.helm.auth.username, '--password', env.helm.auth.password]);
    const search = await helm(['search', 'repo', `eddy/${chart}`, '-o', 'json']);
    expect(JSON.parse(search)).toEqual([expect.objectContaining({ name: `eddy/${chart}`, version: '0.1.0' })]);

    await helm(['install', 'web', `eddy/${chart}`, '--namespace', ns, '--wait', '--timeout', '2m']);
    const releases = JSON.parse(await helm(['ls', '--namespace', ns, '-o', 'json'])) as { name: string; status: string; chart: string }[];
    expect(releases).toEqual([expect.objectContaining({ name: 'web', status: 'deployed', chart: `${chart}-0.1.0` })]);
  });

  it('serves the index anonymously on the open repository', async () => {
    const env = testEnv();
    const chart = uniqueName('open');
    await helm(['create', join(home, chart)]);
    await publishChart(env, join(home, chart));
    await helm(['repo', 'add', 'open', env.helm.plain.url]);
    const out = await helm(['pull', `open/${chart}`, '--version', '0.1.0', '--destination', home]);
    expect(out).toBe('');
  });
});
