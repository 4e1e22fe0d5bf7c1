// GitRepository end to end: the real git server over HTTP (basic auth) and SSH (key and
// known_hosts), the real cluster, artifacts served over HTTP and verified by their digest.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { list as listTar } from 'tar';
import type { GitRepository } from '@eddy/api';
import { createGitRepo, eventually, installEddyCrds, kubeConfig, runCommand, sha256Digest, testEnv, testNamespace, uniqueName, type GitServerRepo } from '@eddy/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSourceController, type TestSourceController } from '../fixtures/source-manager.ts';

const gvp = { group: 'source.toolkit.fluxcd.io', version: 'v1', plural: 'gitrepositories' };
let work: string;
let controllers: TestSourceController[] = [];

beforeAll(async () => {
  await installEddyCrds(testEnv());
  work = await mkdtemp(join(tmpdir(), 'eddy-git-e2e-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(controllers.map((c) => c.stop()));
  controllers = [];
});

const gitEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0' };
const git = (args: string[], cwd: string): Promise<string> => runCommand('git', args, { cwd, env: gitEnv });

/** Commits `files` to a fresh clone of `repo` on `branch` and pushes; returns the commit. */
async function commit(repo: GitServerRepo, files: Record<string, string>, message = 'change', branch = 'main'): Promise<string> {
  const dir = await mkdtemp(join(work, 'clone-'));
  await git(['init', '--quiet', `--initial-branch=${branch}`], dir);
  await git(['pull', '--quiet', repo.httpUrlWithAuth, branch], dir).catch(() => undefined);
  for (const [path, content] of Object.entries(files)) {
    await runCommand('mkdir', ['-p', join(dir, path, '..')]);
    await writeFile(join(dir, path), content);
  }
  await git(['add', '-A'], dir);
  await git(['-c', 'user.name=Eddy Test', '-c', 'user.email=test@eddy.invalid', 'commit', '--quiet', '-m', message], dir);
  await git(['push', '--quiet', repo.httpUrlWithAuth, `HEAD:refs/heads/${branch}`], dir);
  return (await git(['rev-parse', 'HEAD'], dir)).trim();
}

async function create(ns: string, name: string, spec: GitRepository['spec']): Promise<void> {
  await kubeConfig(testEnv())
    .makeApiClient(CustomObjectsApi)
    .createNamespacedCustomObject({ ...gvp, namespace: ns, body: { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name }, spec } });
}

async function patch(ns: string, name: string, ops: object[]): Promise<void> {
  await kubeConfig(testEnv()).makeApiClient(CustomObjectsApi).patchNamespacedCustomObject({ ...gvp, namespace: ns, name, body: ops });
}

async function read(ns: string, name: string): Promise<GitRepository> {
  return (await kubeConfig(testEnv()).makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ ...gvp, namespace: ns, name })) as GitRepository;
}

const condition = (o: GitRepository, type: string) => o.status?.conditions?.find((c) => c.type === type);

async function readyAt(ns: string, name: string, revision?: string | RegExp): Promise<GitRepository> {
  return await eventually(
    async () => {
      const o = await read(ns, name);
      expect(condition(o, 'Ready')).toMatchObject({ status: 'True', reason: 'Succeeded' });
      if (revision) expect(o.status?.artifact?.revision).toMatch(revision);
      return o;
    },
    { timeoutMs: 30_000, description: `GitRepository ${name} Ready${revision ? ` at ${String(revision)}` : ''}` },
  );
}

/** Downloads an artifact from the artifact server, checks its digest, and lists its files. */
async function artifactFiles(o: GitRepository): Promise<string[]> {
  const a = o.status!.artifact!;
  const body = Buffer.from(await (await fetch(a.url)).arrayBuffer());
  expect(sha256Digest(body)).toBe(a.digest);
  const file = join(work, `${uniqueName('a')}.tar.gz`);
  await writeFile(file, body);
  const files: string[] = [];
  await listTar({ file, onReadEntry: (e) => files.push(e.path) });
  return files.sort();
}

async function start(ns: string): Promise<TestSourceController> {
  const c = await startSourceController(testEnv(), ns);
  controllers.push(c);
  return c;
}

async function basicAuthSecret(ns: string, name: string, password: string): Promise<void> {
  const env = testEnv();
  await kubeConfig(env).makeApiClient(CoreV1Api).createNamespacedSecret({ namespace: ns, body: { metadata: { name }, stringData: { username: env.git.http.username, password } } });
}

describe('GitRepository', () => {
  it('clones over HTTP with a username/password Secret, stores the artifact, and follows new commits on request', async () => {
    const env = testEnv();
    const ns = await testNamespace(env, 'git-http');
    await start(ns);
    const repo = await createGitRepo(env);
    const first = await commit(repo, { 'deploy/app.yaml': 'kind: ConfigMap\n', 'logo.png': 'png', '.sourceignore': 'tmp/\n', 'tmp/x': 'x' });
    await basicAuthSecret(ns, 'git-auth', env.git.http.password);
    await create(ns, 'app', { interval: '1h', url: repo.httpUrl, ref: { branch: 'main' }, secretRef: { name: 'git-auth' } });

    const ready = await readyAt(ns, 'app', `main@sha1:${first}`);
    expect(condition(ready, 'Ready')?.message).toBe(`stored artifact for revision 'main@sha1:${first}'`);
    expect(condition(ready, 'ArtifactInStorage')?.status).toBe('True');
    expect(ready.status?.artifact?.path).toBe(`gitrepository/${ns}/app/${first}.tar.gz`);
    // Default exclusions (images, .git) and .sourceignore rules are applied.
    expect(await artifactFiles(ready)).toEqual(['.sourceignore', 'deploy/app.yaml']);

    const second = await commit(repo, { 'deploy/app.yaml': 'kind: Secret\n' });
    await patch(ns, 'app', [{ op: 'add', path: '/metadata/annotations', value: { 'reconcile.fluxcd.io/requestedAt': 'now-1' } }]);
    const updated = await readyAt(ns, 'app', `main@sha1:${second}`);
    expect(updated.status?.lastHandledReconcileAt).toBe('now-1');
    expect(updated.status?.artifact?.digest).not.toBe(ready.status?.artifact?.digest);
  });

  it('picks up a new commit within the interval, and makes no new artifact when nothing changed', async () => {
    const env = testEnv();
    const ns = await testNamespace(env, 'git-interval');
    const c = await start(ns);
    const repo = await createGitRepo(env, { public: true });
    await commit(repo, { 'a.yaml': 'a\n' });
    await create(ns, 'app', { interval: '2s', url: repo.httpUrl, ref: { branch: 'main' } });
    const first = await readyAt(ns, 'app');
    expect(await c.storage.exists(first.status!.artifact!)).toBe(true);
    // A new commit is picked up by the 2s interval alone, without a request.
    const next = await commit(repo, { 'a.yaml': 'b\n' });
    const second = await readyAt(ns, 'app', `main@sha1:${next}`);
    expect(second.status?.artifact?.path).not.toBe(first.status?.artifact?.path);
    // Reconciles without a new commit keep the artifact untouched (same file, same time).
    await patch(ns, 'app', [{ op: 'add', path: '/metadata/annotations', value: { 'reconcile.fluxcd.io/requestedAt': 'again' } }]);
    const again = await eventually(async () => {
      const o = await read(ns, 'app');
      expect(o.status?.lastHandledReconcileAt).toBe('again');
      return o;
    });
    expect(again.status?.artifact).toEqual(second.status?.artifact);
  });

  it('refuses a wrong password with AuthenticationFailed and never shows it', async () => {
    const env = testEnv();
    const ns = await testNamespace(env, 'git-badauth');
    await start(ns);
    const repo = await createGitRepo(env);
    await commit(repo, { 'a.yaml': 'a: 1\n' });
    await basicAuthSecret(ns, 'wrong', 'definitely-not-it');
    await create(ns, 'app', { interval: '1h', url: repo.httpUrl, secretRef: { name: 'wrong' }, ref: { branch: 'main' } });
    const failed = await eventually(async () => {
      const o = await read(ns, 'app');
      expect(condition(o, 'Ready')).toMatchObject({ status: 'False', reason: 'AuthenticationFailed' });
      return o;
    }, { timeoutMs: 30_000 });
    expect(condition(failed, 'FetchFailed')).toMatchObject({ status: 'True', reason: 'AuthenticationFailed' });
    expect(JSON.stringify(failed.status)).not.toContain('definitely-not-it');
  });

  it('clones over SSH with an identity and known_hosts from the Secret', async () => {
    const env = testEnv();
    const ns = await testNamespace(env, 'git-ssh');
    await start(ns);
    const repo = await createGitRepo(env);
    const head = await commit(repo, { 'a.yaml': 'a: 1\n' });
    await kubeConfig(env).makeApiClient(CoreV1Api).createNamespacedSecret({
      namespace: ns,
      body: {
        metadata: { name: 'ssh' },
        stringData: { identity: await readFile(env.git.ssh.privateKeyFile, 'utf8'), known_hosts: await readFile(env.git.ssh.knownHostsFile, 'utf8') },
      },
    });
    await create(ns, 'app', { interval: '1h', url: repo.sshUrl, secretRef: { name: 'ssh' }, ref: { branch: 'main' } });
    await readyAt(ns, 'app', `main@sha1:${head}`);
  });

  it('checks out tags and semver ranges', async () => {
    const env = testEnv();
    const ns = await testNamespace(env, 'git-refs');
    await start(ns);
    const repo = await createGitRepo(env, { public: true });
    const dir = await mkdtemp(join(work, 'tags-'));
    await git(['init', '--quiet', '--initial-branch=main'], dir);
    const commits: Record<string, string> = {};
    for (const tag of ['v1.0.0', 'v1.1.0', 'v2.0.0']) {
      await writeFile(join(dir, 'version'), tag);
      await git(['add', '-A'], dir);
      await git(['-c', 'user.name=T', '-c', 'user.email=t@eddy.invalid', 'commit', '--quiet', '-m', tag], dir);
      await git(['tag', tag], dir);
      commits[tag] = (await git(['rev-parse', 'HEAD'], dir)).trim();
    }
    await git(['push', '--quiet', '--tags', repo.httpUrlWithAuth, 'HEAD:refs/heads/main'], dir);
    await create(ns, 'tag', { interval: '1h', url: repo.httpUrl, ref: { tag: 'v1.0.0' } });
    await create(ns, 'semver', { interval: '1h', url: repo.httpUrl, ref: { semver: '>=1.0.0 <2.0.0' } });
    await readyAt(ns, 'tag', `v1.0.0@sha1:${commits['v1.0.0']}`);
    await readyAt(ns, 'semver', `v1.1.0@sha1:${commits['v1.1.0']}`);
  });

  it('changes the artifact when the ignore rules change', async () => {
    const env = testEnv();
    const ns = await testNamespace(env, 'git-ignore');
    await start(ns);
    const repo = await createGitRepo(env, { public: true });
    await commit(repo, { 'apps/a.yaml': 'a\n', 'docs/readme.md': '#\n' });
    await create(ns, 'app', { interval: '1h', url: repo.httpUrl, ref: { branch: 'main' } });
    const before = await readyAt(ns, 'app');
    expect(await artifactFiles(before)).toEqual(['apps/a.yaml', 'docs/readme.md']);
    await patch(ns, 'app', [{ op: 'add', path: '/spec/ignore', value: '/docs/\n' }]);
    const after = await eventually(async () => {
      const o = await read(ns, 'app');
      expect(o.status?.observedIgnore).toBe('/docs/\n');
      return o;
    }, { timeoutMs: 30_000 });
    expect(after.status?.artifact?.revision).toBe(before.status?.artifact?.revision);
    expect(after.status?.artifact?.digest).not.toBe(before.status?.artifact?.digest);
    expect(await artifactFiles(after)).toEqual(['apps/a.yaml']);
  });

  it('includes another GitRepository\'s content', async () => {
    const env = testEnv();
    const ns = await testNamespace(env, 'git-include');
    await start(ns);
    const shared = await createGitRepo(env, { public: true });
    const app = await createGitRepo(env, { public: true });
    await commit(shared, { 'base/deploy.yaml': 'base\n', 'other.txt': 'x\n' });
    await commit(app, { 'app.yaml': 'app\n' });
    await create(ns, 'shared', { interval: '1h', url: shared.httpUrl, ref: { branch: 'main' } });
    await create(ns, 'app', { interval: '1h', url: app.httpUrl, ref: { branch: 'main' }, include: [{ repository: { name: 'shared' }, fromPath: 'base', toPath: 'vendor/base' }] });
    const ready = await readyAt(ns, 'app');
    expect(await artifactFiles(ready)).toEqual(['app.yaml', 'vendor/base/deploy.yaml']);
    expect(ready.status?.includedArtifacts?.map((a) => a.revision)).toEqual([(await read(ns, 'shared')).status?.artifact?.revision]);
  });

  it('reports an unreachable server as FetchFailed with an actionable message and keeps the last artifact', async () => {
    const env = testEnv();
    const ns = await testNamespace(env, 'git-down');
    await start(ns);
    const repo = await createGitRepo(env, { public: true });
    await commit(repo, { 'a.yaml': 'a\n' });
    await create(ns, 'app', { interval: '1h', url: repo.httpUrl, ref: { branch: 'main' } });
    const good = await readyAt(ns, 'app');
    await patch(ns, 'app', [{ op: 'replace', path: '/spec/url', value: 'http://127.0.0.1:9/nowhere.git' }]);
    const failed = await eventually(async () => {
      const o = await read(ns, 'app');
      expect(condition(o, 'Ready')).toMatchObject({ status: 'False', reason: 'GitOperationFailed' });
      return o;
    }, { timeoutMs: 30_000 });
    expect(condition(failed, 'FetchFailed')?.message).toContain('http://127.0.0.1:9/nowhere.git');
    expect(failed.status?.artifact).toEqual(good.status?.artifact);
  });

  it('stalls on fields Eddy does not implement yet instead of ignoring them', async () => {
    const env = testEnv();
    const ns = await testNamespace(env, 'git-unsupported');
    await start(ns);
    await create(ns, 'proxied', { interval: '1h', url: 'https://example.com/repo.git', proxySecretRef: { name: 'proxy' } });
    const stalled = await eventually(async () => {
      const o = await read(ns, 'proxied');
      expect(condition(o, 'Stalled')).toMatchObject({ status: 'True', reason: 'InvalidProviderConfiguration' });
      return o;
    }, { timeoutMs: 30_000 });
    expect(condition(stalled, 'Ready')).toMatchObject({ status: 'False', message: 'spec.proxySecretRef is not supported by Eddy yet; remove it to connect directly' });
  });
});
