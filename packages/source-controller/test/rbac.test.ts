// source-controller runs with exactly the rights of src/rbac.ts: the real process, with a
// ServiceAccount token bound to the generated ClusterRole, leader election on, reconciles a
// private GitRepository (Secret read), writes status and finalizer, and records an event.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, CustomObjectsApi, KubernetesObjectApi, RbacAuthorizationV1Api, type KubernetesObject } from '@kubernetes/client-node';
import YAML from 'yaml';
import type { GitRepository } from '@eddy/api';
import { createGitRepo, eventually, installEddyCrds, kubeConfig, runCommand, testEnv, testNamespace, uniqueName } from '@eddy/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rbacManifest, rbacManifestPath } from '../codegen/rbac-manifest.ts';
import { sourceControllerRbac } from '../src/rbac.ts';

const main = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'src', 'main.ts');
let work: string;

beforeAll(async () => {
  await installEddyCrds(testEnv());
  work = await mkdtemp(join(tmpdir(), 'eddy-sc-rbac-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  return await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('source-controller RBAC', () => {
  it('config/rbac.yaml is what src/rbac.ts generates (else run: npm run rbac:source)', async () => {
    expect(await readFile(rbacManifestPath, 'utf8')).toBe(rbacManifest());
  });

  it('is enough to reconcile a private GitRepository, with leader election, as the ServiceAccount', async () => {
    const env = testEnv();
    const ns = await testNamespace(env, 'sc-rbac');
    const name = uniqueName('source-controller');
    const admin = kubeConfig(env);
    const objects = KubernetesObjectApi.makeApiClient(admin);
    for (const o of sourceControllerRbac(ns, name)) await objects.create(o as KubernetesObject);
    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    try {
      const token = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({ name, namespace: ns, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
      const kubeconfig = join(work, `${name}.yaml`);
      await writeFile(
        kubeconfig,
        YAML.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'eddy', cluster: { server: env.kube.server, 'certificate-authority': env.kube.caFile } }],
          users: [{ name, user: { token: token.status?.token } }],
          contexts: [{ name: 'eddy', context: { cluster: 'eddy', user: name } }],
          'current-context': 'eddy',
        }),
      );

      const repo = await createGitRepo(env);
      const src = join(work, `${name}-src`);
      await runCommand('git', ['init', '--quiet', '--initial-branch=main', src]);
      await writeFile(join(src, 'app.yaml'), 'kind: ConfigMap\n');
      await runCommand('git', ['-C', src, 'add', '-A']);
      await runCommand('git', ['-C', src, '-c', 'user.name=t', '-c', 'user.email=t@eddy.invalid', 'commit', '--quiet', '-m', 'one']);
      await runCommand('git', ['-C', src, 'push', '--quiet', repo.httpUrlWithAuth, 'main']);
      await admin.makeApiClient(CoreV1Api).createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'auth' }, stringData: { username: env.git.http.username, password: env.git.http.password } } });

      const port = await freePort();
      const storage = join(work, `${name}-storage`);
      const child = spawn(
        process.execPath,
        [main, `--kubeconfig=${kubeconfig}`, '--watch-all-namespaces=false', `--runtime-namespace=${ns}`, '--enable-leader-election',
          `--storage-path=${storage}`, `--storage-addr=127.0.0.1:${port}`, `--storage-adv-addr=127.0.0.1:${port}`,
          '--metrics-addr=127.0.0.1:0', '--health-addr=127.0.0.1:0'],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let log = '';
      child.stderr.on('data', (b: Buffer) => (log += b.toString()));
      const exit = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      try {
        const gvp = { group: 'source.toolkit.fluxcd.io', version: 'v1', plural: 'gitrepositories' };
        const api = admin.makeApiClient(CustomObjectsApi);
        await api.createNamespacedCustomObject({ ...gvp, namespace: ns, body: { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'app' }, spec: { interval: '1h', url: repo.httpUrl, ref: { branch: 'main' }, secretRef: { name: 'auth' } } } });
        const ready = await eventually(async () => {
          const o = (await api.getNamespacedCustomObject({ ...gvp, namespace: ns, name: 'app' })) as GitRepository;
          expect(o.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
          return o;
        }, { timeoutMs: 60_000, description: `Ready as the ServiceAccount (log: ${log.slice(-800)})` });
        expect(ready.metadata.finalizers).toEqual(['finalizers.fluxcd.io']);
        const events = await eventually(async () => {
          const list = await admin.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: ns });
          const e = list.items.filter((x) => x.reason === 'NewArtifact' && x.involvedObject.name === 'app');
          expect(e).toHaveLength(1);
          return e;
        }, { description: 'NewArtifact event' });
        expect(events[0]?.message).toBe(`stored artifact for revision '${ready.status?.artifact?.revision}'`);
        expect(events[0]?.metadata?.annotations?.['source.toolkit.fluxcd.io/revision']).toBe(ready.status?.artifact?.revision);
        expect(log).not.toContain('"level":"error"');
      } finally {
        child.kill('SIGTERM');
        expect(await exit).toBe(0);
      }
    } finally {
      await rbac.deleteClusterRoleBinding({ name }).catch(() => undefined);
      await rbac.deleteClusterRole({ name }).catch(() => undefined);
    }
  });
});
