// The GitOps loop with the real parts: a repository on the real git server, the real
// source-controller turning it into an artifact, the real kustomize-controller applying it to
// the real cluster. The two controllers only talk through the GitRepository's status.
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { Kustomization } from '@eddy/api';
import { registerKustomizeReconcilers } from '@eddy/kustomize-controller';
import { Manager } from '@eddy/runtime';
import { ArtifactServer, Storage, registerSourceReconcilers } from '@eddy/source-controller';
import { createGitRepo, eventually, installEddyCrds, kubeConfig, runCommand, testEnv, testManagerOptions, testNamespace, type EnvInfo } from '@eddy/testkit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

beforeAll(async () => {
  await installEddyCrds(testEnv());
});

function managerFor(env: EnvInfo, namespace: string, controllerName: string): Manager {
  return new Manager(testManagerOptions(env, { controllerName, namespace, concurrency: 2 }));
}

/** Starts source-controller (with its artifact server) and kustomize-controller for `namespace`. */
async function startControllers(env: EnvInfo, namespace: string): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'eddy-loop-storage-'));
  const server = new ArtifactServer(new Storage({ root, advertisedAddress: 'unused' }));
  const address = await server.start('127.0.0.1:0');
  const source = managerFor(env, namespace, 'source-controller');
  registerSourceReconcilers(source, {
    storage: new Storage({ root, advertisedAddress: address }),
    gitEnv: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: tmpdir() },
    requeueDependencyMs: 1_000,
  });
  const kustomize = managerFor(env, namespace, 'kustomize-controller');
  registerKustomizeReconcilers(kustomize, {
    kustomizeBin: env.tools.kustomize,
    toolEnv: { PATH: '/usr/bin:/bin', HOME: tmpdir() },
    noCrossNamespaceRefs: false,
    defaultServiceAccount: '',
    requeueDependencyMs: 1_000,
    concurrentSsa: 4,
    maxArtifactBytes: 64 << 20,
  });
  for (const m of [source, kustomize]) {
    m.run().catch(() => undefined);
    stops.push(() => m.stop());
  }
  stops.push(async () => {
    await server.stop();
    await rm(root, { recursive: true, force: true });
  });
}

const configMap = (ns: string, value: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ${ns}\ndata:\n  level: ${value}\n`;
const deployment = (ns: string): string =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: ${ns}\nspec:\n  replicas: 2\n  selector:\n    matchLabels: { app: web }\n  template:\n    metadata:\n      labels: { app: web }\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n`;
const extra = (ns: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: ${ns}\ndata:\n  a: b\n`;

describe('the GitOps loop', () => {
  it('applies a commit, rolls out the next one, prunes what left Git, and reverts a kubectl scale', async () => {
    const env = testEnv();
    const ns = await testNamespace(env, 'loop');
    await startControllers(env, ns);

    // The fleet repository: one commit with a Deployment and two ConfigMaps.
    const repo = await createGitRepo(env);
    const work = await mkdtemp(join(tmpdir(), 'eddy-loop-git-'));
    stops.push(() => rm(work, { recursive: true, force: true }));
    const git = (...args: string[]): Promise<string> => runCommand('git', ['-C', work, ...args]);
    await runCommand('git', ['init', '--quiet', '--initial-branch=main', work]);
    await writeFile(join(work, 'deploy.yaml'), deployment(ns));
    await writeFile(join(work, 'settings.yaml'), configMap(ns, 'debug'));
    await writeFile(join(work, 'extra.yaml'), extra(ns));
    const commit = async (message: string): Promise<string> => {
      await git('add', '-A');
      await git('-c', 'user.name=Eddy', '-c', 'user.email=eddy@eddy.invalid', 'commit', '--quiet', '-m', message);
      await git('push', '--quiet', repo.httpUrlWithAuth, 'main');
      return (await git('rev-parse', 'HEAD')).trim();
    };
    const first = await commit('first');

    const core = kubeConfig(env).makeApiClient(CoreV1Api);
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'git' }, stringData: { username: env.git.http.username, password: env.git.http.password } } });
    const api = kubeConfig(env).makeApiClient(CustomObjectsApi);
    await api.createNamespacedCustomObject({
      group: 'source.toolkit.fluxcd.io', version: 'v1', plural: 'gitrepositories', namespace: ns,
      body: { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'fleet' }, spec: { interval: '2s', url: repo.httpUrl, ref: { branch: 'main' }, secretRef: { name: 'git' } } },
    });
    const ks = { group: 'kustomize.toolkit.fluxcd.io', version: 'v1', plural: 'kustomizations', namespace: ns };
    await api.createNamespacedCustomObject({
      ...ks,
      body: { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'apps' }, spec: { interval: '2s', path: './', prune: true, sourceRef: { kind: 'GitRepository', name: 'fleet' } } },
    });
    const appliedAt = async (commitSha: string): Promise<Kustomization> =>
      await eventually(async () => {
        const k = (await api.getNamespacedCustomObject({ ...ks, name: 'apps' })) as Kustomization;
        expect(k.status?.lastAppliedRevision).toBe(`main@sha1:${commitSha}`);
        expect(k.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
        return k;
      }, { timeoutMs: 60_000, description: `Kustomization applied main@sha1:${commitSha}` });

    const applied = await appliedAt(first);
    expect(applied.status?.inventory?.entries?.map((e) => e.id).sort()).toEqual([`${ns}_extra__ConfigMap`, `${ns}_settings__ConfigMap`, `${ns}_web_apps_Deployment`]);
    expect((await core.readNamespacedConfigMap({ namespace: ns, name: 'settings' })).data).toEqual({ level: 'debug' });

    // A new commit changes one object and removes another: rolled out and pruned.
    await writeFile(join(work, 'settings.yaml'), configMap(ns, 'info'));
    await unlink(join(work, 'extra.yaml'));
    const second = await commit('second');
    await appliedAt(second);
    expect((await core.readNamespacedConfigMap({ namespace: ns, name: 'settings' })).data).toEqual({ level: 'info' });
    await eventually(async () => expect((await core.listNamespacedConfigMap({ namespace: ns })).items.map((c) => c.metadata?.name)).not.toContain('extra'));

    // Drift: a kubectl scale is reverted by the next reconcile.
    await runCommand(env.tools.kubectl, ['--kubeconfig', env.kubeconfig, '-n', ns, 'scale', 'deployment/web', '--replicas=5']);
    const apps = kubeConfig(env).makeApiClient(AppsV1Api);
    await eventually(async () => expect((await apps.readNamespacedDeployment({ namespace: ns, name: 'web' })).spec?.replicas).toBe(2), {
      timeoutMs: 30_000,
      description: 'replicas reverted to 2',
    });
  });
});
