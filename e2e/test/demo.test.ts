// The README's command 1 (`npm start`): the demo run as CI runs it (CI=true, no stdin) against
// the test environment, with its names made unique. It must reach all Ready, roll out a commit
// and undo a `kubectl scale` — checked in the cluster, not only in its output — and stop its
// controllers; run a second time it reuses the repository and the bootstrap commits nothing.
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObjectClient, type ApiObject } from '@eddy/runtime';
import { keepUninstallInNamespace, kubeConfig, repoRoot, runCommand, testEnv, uniqueName } from '@eddy/testkit';
import { afterAll, describe, expect, it } from 'vitest';

const env = testEnv();
const client = new ObjectClient(kubeConfig(env));
const names = { namespace: uniqueName('demo'), repo: uniqueName('demo-fleet'), app: uniqueName('demo-podinfo'), infra: uniqueName('demo-infra') };
const stateDir = join(tmpdir(), uniqueName('eddy-demo'));
const bareRepo = join(env.git.root, `${names.repo}.git`);
const cli = join(repoRoot(), 'packages', 'cli', 'src', 'main.ts');

/** Runs the demo to its end, as `CI=true npm start` would, and returns its exit code and output. */
async function runDemo(): Promise<{ code: number | null; output: string }> {
  // The demo reads the environment from a file, as `npm test` hands it over (EDDY_ENV_FILE).
  const envFile = join(stateDir, 'env.json');
  await mkdir(stateDir, { recursive: true });
  await writeFile(envFile, JSON.stringify(env), { mode: 0o600 });
  const args = ['--namespace', names.namespace, '--repo', names.repo, '--app-namespace', names.app, '--infra-namespace', names.infra, '--state-dir', stateDir];
  const child = spawn(process.execPath, [join(repoRoot(), 'e2e', 'demo', 'main.ts'), ...args], {
    env: { ...process.env, CI: 'true', EDDY_ENV_FILE: envFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (output += b.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  return { code, output };
}

/** Processes whose command line mentions `text`. */
async function processesWith(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.split('\0').includes(text)) found.push(`${pid}: ${cmdline.replaceAll('\0', ' ')}`);
  }
  return found;
}

/** What the demo leaves in the cluster, checked against the repository's head. */
async function expectConverged(): Promise<void> {
  const head = (await runCommand(env.tools.git, ['--git-dir', bareRepo, 'rev-parse', 'main'])).trim();
  for (const name of [names.namespace, 'infra-controllers', 'infra-configs', 'apps']) {
    const k = await client.get<ApiObject>({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name, namespace: names.namespace } });
    expect(k.status, name).toMatchObject({ lastAppliedRevision: `main@sha1:${head}`, conditions: expect.arrayContaining([expect.objectContaining({ type: 'Ready', status: 'True' })]) as unknown });
  }
  const d = await client.get<ApiObject>({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'podinfo', namespace: names.app } });
  expect(d['spec']).toMatchObject({
    replicas: 3,
    template: { spec: { containers: [{ image: 'stefanprodan/podinfo:6.9.1', env: [{ name: 'PODINFO_UI_MESSAGE', value: 'production' }] }] } },
  });
  expect(d.status).toMatchObject({ replicas: 3, updatedReplicas: 3, availableReplicas: 3 });
  const settings = await client.get<ApiObject>({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cluster-settings', namespace: names.infra } });
  expect(settings['data']).toEqual({ cluster: 'demo', environment: 'production' });
}

afterAll(async () => {
  // The demo stopped its controllers, so removing Eddy prunes nothing (the shared CRDs stay),
  // and it removes finalizers in the demo's namespace only, not those of tests running beside it.
  await keepUninstallInNamespace(env, names.namespace).catch(() => undefined);
  await runCommand(process.execPath, [cli, 'uninstall', '-n', names.namespace, '--silent', '--keep-crds'], { env: { ...process.env, KUBECONFIG: env.kubeconfig } }).catch(() => undefined);
  for (const ns of [names.app, names.infra, names.namespace]) await client.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, 'Background').catch(() => undefined);
  await rm(bareRepo, { recursive: true, force: true });
  await rm(stateDir, { recursive: true, force: true });
});

describe('npm start (the demo)', () => {
  it('bootstraps the sample fleet, rolls out a commit, undoes a kubectl scale, stops its controllers; and runs again', async () => {
    const first = await runDemo();
    expect(first.code, first.output).toBe(0);
    for (const line of ['✔ all Ready at main@sha1:', '✔ rolled out: 3 of 3 Pods run stefanprodan/podinfo:6.9.1', '✔ reverted: the next apply of Kustomization apps', '✔ controllers stopped']) {
      expect(first.output).toContain(line);
    }
    expect(first.output).not.toContain(env.git.http.password);
    await expectConverged();
    const log = async (): Promise<string[]> => (await runCommand(env.tools.git, ['--git-dir', bareRepo, 'log', '--format=%s', 'main'])).trim().split('\n');
    expect(await log()).toEqual([
      'podinfo 6.9.1, 3 replicas in production',
      'Add Eddy sync manifests',
      'Add Eddy v0.0.0 component manifests',
      'Sample fleet: infrastructure, and podinfo with a production overlay',
    ]);
    // Its `eddy run` (and the controllers under it) are gone.
    const pid = Number(/\(pid (\d+),/.exec(first.output)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(await processesWith(names.namespace)).toEqual([]);

    const second = await runDemo();
    expect(second.code, second.output).toBe(0);
    expect(second.output).toContain(`✔ clusters/demo/${names.namespace}/ in "main" is up to date: nothing to commit`);
    expect(second.output).toContain('✔ rolled out: 3 of 3 Pods run stefanprodan/podinfo:6.9.1');
    expect(second.output).toContain('✔ controllers stopped');
    await expectConverged();
    expect((await log()).slice(0, 3)).toEqual(['podinfo 6.9.1, 3 replicas in production', 'podinfo back to its first release (6.9.0, 2 replicas)', 'podinfo 6.9.1, 3 replicas in production']);
    expect((await log()).filter((s) => s.startsWith('Add Eddy'))).toHaveLength(2);
    expect(await processesWith(names.namespace)).toEqual([]);
  }, 600_000);
});
