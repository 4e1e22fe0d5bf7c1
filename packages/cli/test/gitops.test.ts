// The CLI driving the real GitOps loop: a repository on the real git server, source-controller
// and kustomize-controller started by `eddy run`, objects created, reconciled, suspended,
// resumed, shown as a tree, exported and diffed by the real `eddy`, and read by the real kubectl.
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { createGitRepo, installEddyCrds, kubeConfig, runCommand, testEnv, uniqueName, type GitServerRepo } from '@eddy/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControllers, type RunningControllers } from './controllers.ts';
import { eddy } from './helpers.ts';

const env = testEnv();
const core = kubeConfig(env).makeApiClient(CoreV1Api);
let ns: string;
let appNs: string;
let controllers: RunningControllers;
let repo: GitServerRepo;
let work: string;
const commits: string[] = [];

const git = (...args: string[]): Promise<string> => runCommand('git', ['-C', work, ...args]);
const configMap = (name: string, level: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${appNs}\ndata:\n  level: ${level}\n`;
const secret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: token\n  namespace: ${'APPNS'}\nstringData:\n  token: s3cr3t\n`;

async function commit(message: string): Promise<string> {
  await git('add', '-A');
  await git('-c', 'user.name=Eddy', '-c', 'user.email=eddy@eddy.invalid', 'commit', '--quiet', '-m', message);
  await git('push', '--quiet', repo.httpUrlWithAuth, 'main');
  const sha = (await git('rev-parse', 'HEAD')).trim();
  commits.push(sha);
  return sha;
}

const kubectl = (...args: string[]): Promise<string> => runCommand(env.tools.kubectl, ['--kubeconfig', env.kubeconfig, ...args]);

beforeAll(async () => {
  await installEddyCrds(env);
  ns = uniqueName('cli-loop');
  appNs = uniqueName('cli-apps');
  for (const name of [ns, appNs]) await core.createNamespace({ body: { metadata: { name, labels: { 'eddy.test/namespace': 'true' } } } });
  await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'git' }, stringData: { username: env.git.http.username, password: env.git.http.password } } });
  repo = await createGitRepo(env);
  work = await mkdtemp(join(tmpdir(), 'eddy-cli-git-'));
  await runCommand('git', ['init', '--quiet', '--initial-branch=main', work]);
  await writeFile(join(work, 'settings.yaml'), configMap('settings', 'debug'));
  await writeFile(join(work, 'extra.yaml'), configMap('extra', 'x'));
  await writeFile(join(work, 'token.yaml'), secret.replace('APPNS', appNs));
  await commit('first');
  controllers = await startControllers(ns);
});

afterAll(async () => {
  const code = await controllers?.stop();
  expect(code).toBe(0);
  expect(controllers.output()).toContain('✔ controllers stopped');
  await rm(work, { recursive: true, force: true });
  for (const name of [ns, appNs]) await core.deleteNamespace({ name }).catch(() => undefined);
});

describe('eddy with the real controllers', () => {
  it('creates a GitRepository and a Kustomization and waits until they are Ready', async () => {
    const source = await eddy(['create', 'source', 'git', 'fleet', '--url', repo.httpUrl, '--branch', 'main', '--secret-ref', 'git', '--interval', '1h', '-n', ns]);
    expect(source.stderr).toContain(`✔ fetched revision main@sha1:${commits[0]}`);
    expect(source.code).toBe(0);
    const ks = await eddy(['create', 'kustomization', 'apps', '--source', 'GitRepository/fleet', '--path', './', '--prune', '--interval', '1h', '-n', ns]);
    expect(ks.stderr).toContain(`✔ applied revision main@sha1:${commits[0]}`);
    expect(ks.code).toBe(0);
    expect((await core.readNamespacedConfigMap({ namespace: appNs, name: 'settings' })).data).toEqual({ level: 'debug' });
  });

  it('is driven by the real kubectl: wait for Ready, and the Kustomization columns', async () => {
    await kubectl('wait', '--for=condition=Ready', 'kustomization/apps', '-n', ns, '--timeout=30s');
    await kubectl('wait', '--for=condition=Ready', 'gitrepository/fleet', '-n', ns, '--timeout=30s');
    const table = (await kubectl('get', 'kustomizations', '-n', ns)).trim().split('\n');
    expect(table[0]).toMatch(/^NAME\s+AGE\s+READY\s+STATUS$/);
    expect(table[1]).toMatch(new RegExp(`^apps\\s+\\S+\\s+True\\s+Applied revision: main@sha1:${commits[0]}$`));
  });

  it('get shows the same status, tree the inventory, export clean YAML', async () => {
    const get = await eddy(['get', 'kustomization', 'apps', '-n', ns, '--no-header']);
    expect(get.stdout).toMatch(new RegExp(`^apps\\s+main@sha1:${commits[0]}\\s+False\\s+True\\s+Applied revision: main@sha1:${commits[0]}\\n$`));
    const tree = await eddy(['tree', 'kustomization', 'apps', '-n', ns]);
    expect(tree.stdout).toBe([`Kustomization/${ns}/apps`, `├── ConfigMap/${appNs}/extra`, `├── ConfigMap/${appNs}/settings`, `└── Secret/${appNs}/token`, ''].join('\n'));
    const exported = await eddy(['export', 'kustomization', 'apps', '-n', ns]);
    expect(exported.stdout).toBe(
      `---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: ${ns}\nspec:\n  force: false\n  interval: 1h0m0s\n  path: ./\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: fleet\n`,
    );
  });

  it('diff shows nothing for the unchanged tree and exactly the change a commit will make', async () => {
    const none = await eddy(['diff', 'kustomization', 'apps', '--path', work, '-n', ns]);
    expect(none).toEqual({ code: 0, stdout: '', stderr: '' });

    await writeFile(join(work, 'settings.yaml'), configMap('settings', 'info'));
    await unlink(join(work, 'extra.yaml'));
    await writeFile(join(work, 'new.yaml'), configMap('new', 'n'));
    await writeFile(join(work, 'token.yaml'), secret.replace('APPNS', appNs).replace('s3cr3t', 'changed'));
    const changes = await eddy(['diff', 'kustomization', 'apps', '--path', work, '-n', ns]);
    expect(changes.code).toBe(1);
    expect(changes.stdout).toContain(`► ConfigMap/${appNs}/settings configured\n--- ConfigMap/${appNs}/settings (cluster)\n+++ ConfigMap/${appNs}/settings (local)\n`);
    expect(changes.stdout).toMatch(/\n-  level: debug\n\+  level: info\n/);
    expect(changes.stdout).toContain(`► ConfigMap/${appNs}/new created\n--- /dev/null\n`);
    expect(changes.stdout).toContain(`► ConfigMap/${appNs}/extra deleted\n`);
    expect(changes.stdout).toMatch(/\n-  token: "\*\*\*\* \(before\)"\n\+  token: "\*\*\*\* \(after\)"\n/);
    expect(changes.stdout).not.toMatch(/s3cr3t|changed|czNjcjN0|Y2hhbmdlZA/);
    const objects = changes.stdout.split('\n').filter((l) => l.startsWith('► '));
    expect(objects.sort()).toEqual([`► ConfigMap/${appNs}/extra deleted`, `► ConfigMap/${appNs}/new created`, `► ConfigMap/${appNs}/settings configured`, `► Secret/${appNs}/token configured`]);

    // build prints what would be applied, the Secret masked.
    const built = await eddy(['build', 'kustomization', 'apps', '--path', work, '-n', ns]);
    expect(built.code).toBe(0);
    expect(built.stdout).toContain(`kind: Secret\nmetadata:\n  name: token\n  namespace: ${appNs}\nstringData:\n  token: "****"\n`);
  });

  it('reconcile --with-source rolls out the new commit; the tree is then unchanged for diff', async () => {
    const second = await commit('second');
    const result = await eddy(['reconcile', 'kustomization', 'apps', '--with-source', '-n', ns]);
    expect(result.stderr).toContain(`► annotating GitRepository fleet in ${ns} namespace`);
    expect(result.stderr).toContain(`✔ fetched revision main@sha1:${second}`);
    expect(result.stderr).toContain(`✔ applied revision main@sha1:${second}`);
    expect(result.code).toBe(0);
    expect((await core.readNamespacedConfigMap({ namespace: appNs, name: 'settings' })).data).toEqual({ level: 'info' });
    const none = await eddy(['diff', 'kustomization', 'apps', '--path', work, '-n', ns]);
    expect(none).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('suspend and resume; a suspended object is not reconciled', async () => {
    const suspended = await eddy(['suspend', 'kustomization', 'apps', '-n', ns]);
    expect(suspended.stderr).toBe(`► suspending Kustomization apps in ${ns} namespace\n✔ Kustomization suspended\n`);
    expect((await eddy(['get', 'ks', 'apps', '-n', ns, '--no-header'])).stdout).toMatch(/^apps\s+\S+\s+True\s+/);
    const refused = await eddy(['reconcile', 'ks', 'apps', '-n', ns]);
    expect(refused).toEqual({ code: 1, stdout: '', stderr: `✗ Kustomization ${ns}/apps is suspended: run eddy resume kustomization apps first\n` });
    const resumed = await eddy(['resume', 'kustomization', 'apps', '-n', ns]);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain(`✔ applied revision main@sha1:${commits[1]}`);
    expect((await eddy(['get', 'ks', 'apps', '-n', ns, '--no-header'])).stdout).toMatch(/^apps\s+\S+\s+False\s+True\s+/);
  });

  it('events lists the events of the Kustomization and of its source', async () => {
    const events = await eddy(['events', '--for', 'Kustomization/apps', '-n', ns]);
    expect(events.code).toBe(0);
    const lines = events.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/);
    const objects = new Set(lines.slice(1).map((l) => l.split(/\s{3,}/)[3]));
    expect(objects).toEqual(new Set(['Kustomization/apps', 'GitRepository/fleet']));
  });
});
