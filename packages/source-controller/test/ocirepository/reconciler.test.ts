// OCIRepository end to end: the real registry (with and without auth), the real cluster, the
// artifact served over HTTP and verified by its digest.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { create as createTar, list as listTar } from 'tar';
import type { OCIRepository } from '@eddy/api';
import { eventually, installEddyCrds, kubeConfig, pushArtifact, sha256Digest, testEnv, testNamespace, uniqueName } from '@eddy/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSourceController, type TestSourceController } from '../fixtures/source-manager.ts';

const gvp = { group: 'source.toolkit.fluxcd.io', version: 'v1', plural: 'ocirepositories' };
const layerType = 'application/vnd.cncf.flux.content.v1.tar+gzip';
const configType = 'application/vnd.cncf.flux.config.v1+json';
let work: string;
let controllers: TestSourceController[] = [];

beforeAll(async () => {
  await installEddyCrds(testEnv());
  work = await mkdtemp(join(tmpdir(), 'eddy-oci-e2e-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(controllers.map((c) => c.stop()));
  controllers = [];
});

/** A tar.gz of the given files, as `flux push artifact` would make it. */
async function tarball(files: Record<string, string>): Promise<Buffer> {
  const dir = await mkdtemp(join(work, 'src-'));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  const chunks: Buffer[] = [];
  const stream = createTar({ gzip: true, cwd: dir, portable: true }, Object.keys(files));
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

async function apply(ns: string, name: string, spec: OCIRepository['spec']): Promise<void> {
  const api = kubeConfig(testEnv()).makeApiClient(CustomObjectsApi);
  await api.createNamespacedCustomObject({ ...gvp, namespace: ns, body: { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'OCIRepository', metadata: { name }, spec } });
}

async function patchSpec(ns: string, name: string, patch: Partial<OCIRepository['spec']>): Promise<void> {
  const api = kubeConfig(testEnv()).makeApiClient(CustomObjectsApi);
  await api.patchNamespacedCustomObject({ ...gvp, namespace: ns, name, body: Object.entries(patch).map(([k, v]) => ({ op: 'add', path: `/spec/${k}`, value: v })) });
}

async function read(ns: string, name: string): Promise<OCIRepository> {
  return (await kubeConfig(testEnv()).makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ ...gvp, namespace: ns, name })) as OCIRepository;
}

const condition = (o: OCIRepository, type: string) => o.status?.conditions?.find((c) => c.type === type);

async function start(ns: string): Promise<TestSourceController> {
  const c = await startSourceController(testEnv(), ns);
  controllers.push(c);
  return c;
}

describe('OCIRepository', () => {
  it('stores the tagged artifact, serves it over HTTP, and its digest verifies', async () => {
    const env = testEnv();
    const ns = await testNamespace(env, 'oci');
    await start(ns);
    const repo = `eddy/${uniqueName('manifests')}`;
    const layer = await tarball({ 'deploy/app.yaml': 'kind: ConfigMap\n', 'README.md': '# app\n' });
    const pushed = await pushArtifact({ host: env.registry.plain.host }, repo, 'v1.0.0', { data: layer, mediaType: layerType }, configType);

    await apply(ns, 'app', { interval: '10m', url: `oci://${env.registry.plain.host}/${repo}`, ref: { tag: 'v1.0.0' }, insecure: true });
    const ready = await eventually(async () => {
      const o = await read(ns, 'app');
      expect(condition(o, 'Ready')).toMatchObject({ status: 'True', reason: 'Succeeded' });
      return o;
    }, { timeoutMs: 30_000, description: 'OCIRepository Ready' });

    const artifact = ready.status!.artifact!;
    expect(artifact.revision).toBe(`v1.0.0@${pushed.manifestDigest}`);
    expect(condition(ready, 'Ready')?.message).toBe(`stored artifact for digest 'v1.0.0@${pushed.manifestDigest}'`);
    expect(condition(ready, 'ArtifactInStorage')).toMatchObject({ status: 'True' });
    expect(artifact.path).toBe(`ocirepository/${ns}/app/${pushed.manifestDigest.slice('sha256:'.length)}.tar.gz`);
    expect(ready.status?.url).toMatch(/\/latest\.tar\.gz$/);

    const body = Buffer.from(await (await fetch(artifact.url)).arrayBuffer());
    expect(sha256Digest(body)).toBe(artifact.digest);
    expect(body.length).toBe(artifact.size);
    const file = join(work, `${uniqueName('dl')}.tar.gz`);
    await writeFile(file, body);
    const entries: string[] = [];
    await listTar({ file, onReadEntry: (e) => entries.push(e.path) });
    expect(entries.sort()).toEqual(['README.md', 'deploy/app.yaml']);
  });

  it('reports an unreachable registry as FetchFailed and keeps the last artifact', async () => {
    const env = testEnv();
    const ns = await testNamespace(env, 'oci-down');
    await start(ns);
    const repo = `eddy/${uniqueName('down')}`;
    await pushArtifact({ host: env.registry.plain.host }, repo, 'latest', { data: await tarball({ 'a.yaml': 'a: 1\n' }), mediaType: layerType }, configType);
    await apply(ns, 'app', { interval: '10m', url: `oci://${env.registry.plain.host}/${repo}`, insecure: true });
    const good = await eventually(async () => {
      const o = await read(ns, 'app');
      expect(condition(o, 'Ready')?.status).toBe('True');
      return o;
    }, { timeoutMs: 30_000 });

    // Port 9 on loopback: nothing listens there.
    await patchSpec(ns, 'app', { url: `oci://127.0.0.1:9/${repo}` });
    const failed = await eventually(async () => {
      const o = await read(ns, 'app');
      expect(condition(o, 'Ready')).toMatchObject({ status: 'False', reason: 'OCIArtifactPullFailed' });
      return o;
    }, { timeoutMs: 30_000, description: 'Ready=False' });
    expect(condition(failed, 'FetchFailed')).toMatchObject({ status: 'True', reason: 'OCIArtifactPullFailed' });
    expect(condition(failed, 'FetchFailed')?.message).toContain(`127.0.0.1:9/${repo}`);
    expect(failed.status?.artifact).toEqual(good.status?.artifact);
  });

  it('authenticates with a dockerconfigjson Secret, and refuses wrong credentials without revealing them', async () => {
    const env = testEnv();
    const ns = await testNamespace(env, 'oci-auth');
    await start(ns);
    const repo = `eddy/${uniqueName('private')}`;
    const registry = { host: env.registry.auth.host, username: env.registry.auth.username, password: env.registry.auth.password };
    await pushArtifact(registry, repo, 'v2', { data: await tarball({ 'x.yaml': 'x: 1\n' }), mediaType: layerType }, configType);
    const dockerconfig = (password: string): string =>
      JSON.stringify({ auths: { [env.registry.auth.host]: { auth: Buffer.from(`${registry.username}:${password}`).toString('base64') } } });
    const core = kubeConfig(env).makeApiClient(CoreV1Api);
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'good' }, type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': dockerconfig(registry.password) } } });
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'bad' }, type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': dockerconfig('not-the-password') } } });

    const url = `oci://${env.registry.auth.host}/${repo}`;
    await apply(ns, 'good', { interval: '10m', url, ref: { tag: 'v2' }, insecure: true, secretRef: { name: 'good' } });
    await apply(ns, 'bad', { interval: '10m', url, ref: { tag: 'v2' }, insecure: true, secretRef: { name: 'bad' } });
    await eventually(async () => expect(condition(await read(ns, 'good'), 'Ready')?.status).toBe('True'), { timeoutMs: 30_000 });
    const bad = await eventually(async () => {
      const o = await read(ns, 'bad');
      expect(condition(o, 'Ready')).toMatchObject({ status: 'False', reason: 'AuthenticationFailed' });
      return o;
    }, { timeoutMs: 30_000 });
    expect(JSON.stringify(bad.status)).not.toContain('not-the-password');
    expect(JSON.stringify(bad.status)).not.toContain(registry.password);
  });

  it('follows a semver range to the highest matching tag', async () => {
    const env = testEnv();
    const ns = await testNamespace(env, 'oci-semver');
    await start(ns);
    const repo = `eddy/${uniqueName('semver')}`;
    const reg = { host: env.registry.plain.host };
    for (const tag of ['1.0.0', '1.2.0', '1.10.1', '2.0.0', 'latest']) {
      await pushArtifact(reg, repo, tag, { data: await tarball({ 'v.txt': tag }), mediaType: layerType }, configType);
    }
    await apply(ns, 'app', { interval: '10m', url: `oci://${env.registry.plain.host}/${repo}`, ref: { semver: '>=1.0.0 <2.0.0' }, insecure: true });
    await eventually(async () => expect((await read(ns, 'app')).status?.artifact?.revision).toMatch(/^1\.10\.1@sha256:[0-9a-f]{64}$/), { timeoutMs: 30_000 });
  });

  it('refuses to use an artifact whose verification it cannot do', async () => {
    const env = testEnv();
    const ns = await testNamespace(env, 'oci-verify');
    await start(ns);
    await apply(ns, 'signed', { interval: '10m', url: `oci://${env.registry.plain.host}/eddy/signed`, insecure: true, verify: { provider: 'cosign' } });
    const o = await eventually(async () => {
      const r = await read(ns, 'signed');
      expect(condition(r, 'Stalled')).toMatchObject({ status: 'True', reason: 'VerificationError' });
      return r;
    }, { timeoutMs: 30_000 });
    expect(o.status?.artifact).toBeUndefined();
  });
});
