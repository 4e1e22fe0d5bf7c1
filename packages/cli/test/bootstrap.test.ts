// eddy bootstrap git against the real git server (HTTP with basic auth, and SSH with a key),
// the real cluster and the real controllers (`eddy run`, limited to the test's namespace): the
// files land in Git at <path>/<namespace>/, the objects are applied, the sync Kustomization
// applies its own repository; a second run commits and changes nothing; failures are one line
// without credentials.
import { readFile } from 'node:fs/promises';
import { CoreV1Api } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { createGitRepo, installEddyCrds, keepUninstallInNamespace, kubeConfig, runCommand, testEnv, uniqueName, type GitServerRepo } from '@eddy/testkit';
import type { ApiObject } from '@eddy/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControllers, type RunningControllers } from './controllers.ts';
import { eddy, testClient, type EddyResult } from './helpers.ts';

const env = testEnv();
const core = kubeConfig(env).makeApiClient(CoreV1Api);
const client = testClient();
const password = env.git.http.password;
let ns: string;
let repo: GitServerRepo;
let controllers: RunningControllers | undefined;

/** `git` in the server's bare repository. */
const bare = async (...args: string[]): Promise<string> => (await runCommand(env.tools.git, ['--git-dir', repo.dir, ...args])).trim();
const httpArgs = (): string[] => ['bootstrap', 'git', '-n', ns, '--url', repo.httpUrl, '--path', 'clusters/test', '--username', env.git.http.username, '--allow-insecure-http', '--timeout=3m'];
const withPassword = { env: { GIT_PASSWORD: password } };

/** Fails when the output of a run shows a credential. */
function expectNoSecrets(r: EddyResult, ...secrets: string[]): void {
  for (const s of [password, ...secrets]) {
    expect(r.stdout).not.toContain(s);
    expect(r.stderr).not.toContain(s);
  }
}

/** What the objects bootstrap applied look like now, for comparing two runs. */
async function clusterState(): Promise<Record<string, unknown>> {
  const get = (apiVersion: string, kind: string, name: string): Promise<ApiObject> => client.get<ApiObject>({ apiVersion, kind, metadata: { name, namespace: ns } });
  const secret = await get('v1', 'Secret', 'flux-system');
  const repository = await get('source.toolkit.fluxcd.io/v1', 'GitRepository', ns);
  const kustomization = await get('kustomize.toolkit.fluxcd.io/v1', 'Kustomization', ns);
  const deployments = await Promise.all(['source-controller', 'kustomize-controller'].map((n) => get('apps/v1', 'Deployment', n)));
  return {
    secret: secret.metadata.resourceVersion,
    repository: [repository.metadata.generation, repository.metadata.annotations],
    kustomization: [kustomization.metadata.generation, kustomization.metadata.annotations],
    deployments: deployments.map((d) => d.metadata.generation),
  };
}

beforeAll(async () => {
  await installEddyCrds(env);
  ns = uniqueName('cli-bootstrap');
  await core.createNamespace({ body: { metadata: { name: ns, labels: { 'eddy.test/namespace': 'true' } } } });
  repo = await createGitRepo(env);
  controllers = await startControllers(ns);
});

afterAll(async () => {
  // The controllers stop first, so deleting the sync Kustomization never prunes what it applied
  // (the shared cluster's CRDs among them); uninstall then removes the components and finalizers.
  expect(await controllers?.stop()).toBe(0);
  // Finalizers in this test's namespace only, not those of tests running beside it.
  await keepUninstallInNamespace(env, ns);
  const removed = await eddy(['uninstall', '-n', ns, '--silent', '--keep-crds']);
  expect(removed.stderr).toContain('✔ uninstall finished');
  await core.deleteNamespace({ name: ns }).catch(() => undefined);
});

describe('eddy bootstrap git', () => {
  it('writes the manifests to <path>/<namespace>/ of an empty repository over HTTP, installs, and the cluster applies its own repository', async () => {
    const r = await eddy(httpArgs(), withPassword);
    expect(r.stderr).toContain('✔ bootstrap finished\n');
    expect(r.code).toBe(0);
    expectNoSecrets(r);

    // Git: two commits by Eddy on main, the three files in Flux's layout, no credential in them.
    const head = await bare('rev-parse', 'main');
    expect((await bare('log', '--format=%an|%s', 'main')).split('\n')).toEqual(['Eddy|Add Eddy sync manifests', 'Eddy|Add Eddy v0.0.0 component manifests']);
    const dir = `clusters/test/${ns}`;
    expect((await bare('ls-tree', '-r', '--name-only', 'main')).split('\n')).toEqual([`${dir}/gotk-components.yaml`, `${dir}/gotk-sync.yaml`, `${dir}/kustomization.yaml`]);
    const show = (file: string): Promise<string> => bare('show', `main:${dir}/${file}`);
    expect(await show('kustomization.yaml')).toBe('apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - gotk-components.yaml\n  - gotk-sync.yaml');
    expect(parseAllDocuments(await show('gotk-sync.yaml')).map((d) => d.toJS() as unknown)).toEqual([
      { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: ns, namespace: ns }, spec: { interval: '1m0s', ref: { branch: 'main' }, secretRef: { name: 'flux-system' }, url: repo.httpUrl } },
      { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: ns, namespace: ns }, spec: { interval: '10m0s', path: './clusters/test', prune: true, sourceRef: { kind: 'GitRepository', name: ns } } },
    ]);
    const components = await show('gotk-components.yaml');
    expect(components).toMatch(/^# Eddy components, written by eddy bootstrap/);
    expect(components).toContain(`kind: Deployment\nmetadata:\n  name: kustomize-controller\n  namespace: ${ns}\n`);
    for (const file of ['gotk-components.yaml', 'gotk-sync.yaml', 'kustomization.yaml']) expect(await show(file)).not.toContain(password);

    // Cluster: the Secret, the sync pair Ready at the pushed revision, and the components applied by the sync Kustomization itself.
    const secret = await core.readNamespacedSecret({ namespace: ns, name: 'flux-system' });
    expect(Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]))).toEqual({ username: env.git.http.username, password });
    const revision = `main@sha1:${head}`;
    const kustomization = await client.get<ApiObject>({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: ns, namespace: ns } });
    expect(kustomization.status).toMatchObject({ lastAppliedRevision: revision, conditions: expect.arrayContaining([expect.objectContaining({ type: 'Ready', status: 'True' })]) as unknown });
    const inventory = ((kustomization.status?.['inventory'] as { entries: { id: string }[] }).entries ?? []).map((e) => e.id);
    expect(inventory).toEqual(expect.arrayContaining([`${ns}_kustomize-controller_apps_Deployment`, `${ns}_${ns}_source.toolkit.fluxcd.io_GitRepository`, `_${ns}__Namespace`]));
    expect(r.stderr).toContain(`✔ Kustomization ${ns}/${ns} applied revision ${revision}\n`);
  });

  it('run again, it commits nothing and changes nothing in the cluster', async () => {
    const head = await bare('rev-parse', 'main');
    const before = await clusterState();
    const r = await eddy(httpArgs(), withPassword);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`✔ clusters/test/${ns}/ in "main" is up to date: nothing to commit\n`);
    expect(r.stderr).toContain(`✔ components are managed by Kustomization ${ns}/${ns}: applied from Git\n`);
    expect(r.stderr).toContain(`✔ source secret ${ns}/flux-system unchanged\n✔ GitRepository ${ns}/${ns} unchanged\n✔ Kustomization ${ns}/${ns} unchanged\n`);
    expect(r.stderr).not.toContain('waiting for');
    expect(await bare('rev-parse', 'main')).toBe(head);
    expect(await clusterState()).toEqual(before);
  });

  it('with a new --interval, commits only the sync manifests and the cluster applies them from Git', async () => {
    const head = await bare('rev-parse', 'main');
    const r = await eddy([...httpArgs(), '--interval=30m', '--commit-message-appendix', 'Signed-off-by: Test <test@example.invalid>'], withPassword);
    expect(r.code).toBe(0);
    expect(await bare('rev-list', '--count', `${head}..main`)).toBe('1');
    expect(await bare('log', '-1', '--format=%B', 'main')).toBe('Add Eddy sync manifests\n\nSigned-off-by: Test <test@example.invalid>');
    expect(await bare('diff', '--name-only', head, 'main')).toBe(`clusters/test/${ns}/gotk-sync.yaml`);
    const repository = await client.get<ApiObject>({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: ns, namespace: ns } });
    expect(repository['spec']).toMatchObject({ interval: '30m0s' });
    expect(r.stderr).toContain(`✔ Kustomization ${ns}/${ns} applied revision main@sha1:${await bare('rev-parse', 'main')}\n`);
  });

  it('switches to SSH with --private-key-file: pushes over SSH, and the Secret holds the key and the scanned host key', async () => {
    const key = await readFile(env.git.ssh.privateKeyFile, 'utf8');
    const keyLine = key.split('\n').find((l) => l.length > 40 && !l.startsWith('-----')) ?? '';
    const args = ['bootstrap', 'git', '-n', ns, '--url', repo.sshUrl, '--path', 'clusters/test', '--private-key-file', env.git.ssh.privateKeyFile, '--interval=30m', '--timeout=3m'];
    // Pointing the cluster at another URL needs a confirmation, which only --silent gives without a terminal.
    const refused = await eddy(args);
    expect(refused.code).toBe(2);
    // (User names are left out of URLs in messages, as every URL userinfo is.)
    expect(refused.stderr).toContain(`reads ${repo.httpUrl} branch main: pass --silent to point it at ${repo.sshUrl.replace('root@', '')} branch main`);

    const head = await bare('rev-parse', 'main');
    const r = await eddy([...args, '--silent']);
    expect(r.stderr).toContain('✔ bootstrap finished\n');
    expect(r.code).toBe(0);
    expectNoSecrets(r, keyLine);
    expect(r.stderr).toMatch(/✔ trusting the SSH host key \d+ SHA256:\S+ \[127\.0\.0\.1\]:\d+ \(ED25519\)/);
    expect(await bare('rev-list', '--count', `${head}..main`)).toBe('1');
    expect(await bare('show', `main:clusters/test/${ns}/gotk-sync.yaml`)).toContain(`url: ${repo.sshUrl}\n`);

    const secret = await core.readNamespacedSecret({ namespace: ns, name: 'flux-system' });
    const data = Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
    expect(Object.keys(data).sort()).toEqual(['identity', 'identity.pub', 'known_hosts']);
    expect(data['identity']).toBe(key);
    expect(data['identity.pub']?.split(' ').slice(0, 2)).toEqual(env.git.ssh.publicKey.split(' ').slice(0, 2));
    expect(data['known_hosts']).toMatch(new RegExp(`^\\[127\\.0\\.0\\.1\\]:${env.git.ssh.port} ssh-ed25519 `, 'm'));
    const repository = await client.get<ApiObject>({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: ns, namespace: ns } });
    expect(repository.status).toMatchObject({ artifact: { revision: `main@sha1:${await bare('rev-parse', 'main')}` } });

    // Again over SSH: nothing to do.
    const again = await eddy([...args, '--silent']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('nothing to commit');
    expect(again.stderr).toContain(`✔ source secret ${ns}/flux-system unchanged\n`);
  });

  it('bad credentials and bad URLs fail with one line naming the problem, without the credential, pushing nothing', async () => {
    const fresh = uniqueName('cli-bootstrap-bad');
    const other = await createGitRepo(env);
    const base = ['bootstrap', 'git', '-n', fresh, '--path', 'clusters/x', '--allow-insecure-http', '--timeout=1m'];
    const wrong = 'wrong-Pa55word-x';
    const cases: [string[], Record<string, string>, number, RegExp][] = [
      [['--url', other.httpUrl, '--username', env.git.http.username, '--password', wrong], {}, 1, /^✗ listing the branches of http:\/\/127\.0\.0\.1:\d+\/\S+: authentication failed \(401\); check --username and --password$/],
      [['--url', other.httpUrl, '--username', env.git.http.username], { GIT_PASSWORD: wrong }, 1, /authentication failed \(401\)/],
      [['--url', 'http://127.0.0.1:1/fleet.git', '--username', 'u'], { GIT_PASSWORD: wrong }, 1, /^✗ listing the branches of http:\/\/127\.0\.0\.1:1\/fleet\.git: cannot reach the server/],
      [['--url', `http://u:${wrong}@127.0.0.1:1/fleet.git`], {}, 2, /^✗ --url 'http:\/\/127\.0\.0\.1:1\/fleet\.git' must not contain a password: pass it with --password or GIT_PASSWORD$/],
      [['--url', 'ftp://127.0.0.1/fleet.git'], {}, 2, /^✗ invalid --url 'ftp:\/\/127\.0\.0\.1\/fleet\.git': expected an http:\/\/, https:\/\/ or ssh:\/\/ address$/],
      [['--url', `ssh://git@127.0.0.1:1/fleet.git`, '--private-key-file', env.git.ssh.privateKeyFile], {}, 1, /^✗ cannot scan the SSH host key of 127\.0\.0\.1:1 \(is an SSH server listening there\?\)/],
    ];
    for (const [args, extraEnv, code, line] of cases) {
      const r = await eddy([...base, ...args], { env: extraEnv });
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('✗'));
      expect(errors, r.stderr).toHaveLength(1);
      expect(errors[0]).toMatch(line);
      expect(r.code).toBe(code);
      expectNoSecrets(r, wrong);
    }
    expect(await runCommand(env.tools.git, ['--git-dir', other.dir, 'branch', '--list'])).toBe('');
    expect(await client.find({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: fresh } })).toBeUndefined();
  });
});
