import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Reason } from '@eddy/api';
import { ReconcileFailure, extractArchive } from '@eddy/runtime';
import { getManifest, pushManifest, sha256Digest, testEnv, uniqueName, type RegistryEndpoint } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { credentialsFromSecret } from '../../src/oci/auth.ts';
import { RegistryClient, dockerManifestMediaType, ociIndexMediaType, ociManifestMediaType } from '../../src/oci/client.ts';
import { pull, resolve, type PullOptions } from '../../src/oci/pull.ts';
import { fluxContentMediaType, pushFluxArtifact, pushLayers, tarGz } from './fixtures.ts';

const env = testEnv();
const plain: RegistryEndpoint = env.registry.plain;
const authed: RegistryEndpoint = env.registry.auth;
const MiB = 1 << 20;

/** The class, reason and message of a rejection. */
async function failure(p: Promise<unknown>): Promise<{ name: string; reason: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ReconcileFailure) return { name: err.name, reason: err.reason, message: err.message };
    throw err;
  }
  throw new Error('expected a rejection');
}

/** A dockerconfigjson Secret's data for a registry. */
function dockerConfigSecret(host: string, username: string, password: string): Record<string, Buffer> {
  const auth = Buffer.from(`${username}:${password}`).toString('base64');
  return { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths: { [`http://${host}`]: { auth } } })) };
}

/** Lists a directory tree as sorted relative paths. */
async function tree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

let work: string;
const clients: RegistryClient[] = [];
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'oci-test-'));
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await rm(work, { recursive: true, force: true });
});

/** A client for a repository of the plain registry (or another), closed after the test. */
function client(repo: string, host = plain.host, options: ConstructorParameters<typeof RegistryClient>[1] = {}): RegistryClient {
  const c = new RegistryClient(`oci://${host}/${repo}`, { insecure: true, ...options });
  clients.push(c);
  return c;
}

function pullOptions(extra: Partial<PullOptions> = {}): PullOptions {
  return { maxSize: 10 * MiB, extract: extractArchive, tmpDir: work, ...extra };
}

describe('resolve', () => {
  it('resolves a tag to its manifest digest and Flux revision', async () => {
    const repo = uniqueName('oci/tag');
    const { digest } = await pushFluxArtifact(plain, repo, 'v1.0.0');
    expect(await resolve(client(repo), { tag: 'v1.0.0' })).toEqual({ tag: 'v1.0.0', digest, revision: `v1.0.0@${digest}` });
  });

  it('defaults to latest', async () => {
    const repo = uniqueName('oci/latest');
    await pushFluxArtifact(plain, repo, 'v1.0.0');
    const { digest } = await pushFluxArtifact(plain, repo, 'latest');
    expect(await resolve(client(repo), undefined)).toEqual({ tag: 'latest', digest, revision: `latest@${digest}` });
    expect(await resolve(client(repo), {})).toEqual({ tag: 'latest', digest, revision: `latest@${digest}` });
  });

  it('uses a digest as is, over semver and tag, with the bare digest as revision', async () => {
    const repo = uniqueName('oci/digest');
    const first = await pushFluxArtifact(plain, repo, 'v1.0.0');
    await pushFluxArtifact(plain, repo, 'v1.0.0');
    expect(await resolve(client(repo), { digest: first.digest, tag: 'v1.0.0', semver: '*' })).toEqual({ digest: first.digest, revision: first.digest });
  });

  it('fails on a digest the registry does not have', async () => {
    const repo = uniqueName('oci/nodigest');
    await pushFluxArtifact(plain, repo, 'v1.0.0');
    const missing = sha256Digest(randomBytes(8));
    expect(await failure(resolve(client(repo), { digest: missing }))).toEqual({
      name: 'ReconcileError',
      reason: Reason.OCIArtifactPullFailed,
      message: `failed to resolve '${plain.host}/${repo}@${missing}': HTTP 404`,
    });
  });

  it('fails on a missing tag, naming repository and tag', async () => {
    const repo = uniqueName('oci/notag');
    await pushFluxArtifact(plain, repo, 'v1.0.0');
    expect(await failure(resolve(client(repo), { tag: 'v9' }))).toEqual({
      name: 'ReconcileError',
      reason: Reason.OCIArtifactPullFailed,
      message: `failed to resolve '${plain.host}/${repo}:v9': HTTP 404`,
    });
  });

  describe('semver', () => {
    const repo = uniqueName('oci/semver');
    const digests: Record<string, string> = {};
    const tags = ['1.0.0', '1.1.0', 'v1.2.0', 'v2.0.0-rc.1', '2.0.0', 'latest', 'foo', 'v3.0.0-alpha'];

    beforeEach(async () => {
      if (Object.keys(digests).length > 0) return;
      for (const tag of tags) digests[tag] = (await pushFluxArtifact(plain, repo, tag)).digest;
    });

    it.each<[string, { semver: string; semverFilter?: string }, string]>([
      ['highest release', { semver: '*' }, '2.0.0'],
      ['range', { semver: '<2.0.0' }, 'v1.2.0'],
      ['Masterminds comma syntax', { semver: '>= 1.0.0, < 1.2.0' }, '1.1.0'],
      ['pre-releases with -0', { semver: '>=2.0.0-0' }, 'v3.0.0-alpha'],
      ['filter first', { semver: '>=1.0.0', semverFilter: '^v' }, 'v1.2.0'],
      ['filter and pre-releases', { semver: '>=1.0.0-0', semverFilter: 'rc' }, 'v2.0.0-rc.1'],
    ])('%s', async (_name, ref, tag) => {
      const digest = digests[tag]!;
      expect(await resolve(client(repo), ref)).toEqual({ tag, digest, revision: `${tag}@${digest}` });
    });

    it('follows tags/list pagination', async () => {
      // The registry does paginate: a page of 2 links to the next.
      const first = await fetch(`http://${plain.host}/v2/${repo}/tags/list?n=2`);
      expect({ tags: ((await first.json()) as { tags: string[] }).tags.length, link: /rel="next"/.test(first.headers.get('link') ?? '') }).toEqual({ tags: 2, link: true });
      const paged = client(repo, plain.host, { tagsPageSize: 2 });
      expect((await paged.listTags()).sort()).toEqual([...tags].sort());
      const digest = digests['2.0.0']!;
      expect(await resolve(paged, { semver: '>=1' })).toEqual({ tag: '2.0.0', digest, revision: `2.0.0@${digest}` });
    });

    it('fails when nothing matches', async () => {
      expect(await failure(resolve(client(repo), { semver: '>=4', semverFilter: '^v' }))).toEqual({
        name: 'ReconcileError',
        reason: Reason.OCIArtifactPullFailed,
        message: `no tag of '${plain.host}/${repo}' matches semver '>=4' and filter '^v'`,
      });
    });

    it('fails when the repository does not exist', async () => {
      const none = uniqueName('oci/none');
      expect(await failure(resolve(client(none), { semver: '*' }))).toEqual({
        name: 'ReconcileError',
        reason: Reason.OCIArtifactPullFailed,
        message: `failed to list tags of '${plain.host}/${none}': HTTP 404 (NAME_UNKNOWN: repository name not known to registry)`,
      });
    });
  });

  it('stops when the signal is aborted', async () => {
    const repo = uniqueName('oci/abort');
    await pushFluxArtifact(plain, repo, 'latest');
    const ac = new AbortController();
    const reason = new Error('reconcile timed out');
    ac.abort(reason);
    await expect(resolve(client(repo), undefined, { signal: ac.signal })).rejects.toBe(reason);
    const { digest } = await resolve(client(repo), undefined);
    await expect(pull(client(repo), digest, undefined, join(work, 'out'), pullOptions({ signal: ac.signal }))).rejects.toBe(reason);
    expect(await readdir(work)).toEqual([]);
  });
});

describe('pull', () => {
  it('extracts the first layer and returns the manifest annotations as metadata', async () => {
    const repo = uniqueName('oci/extract');
    const annotations = {
      'org.opencontainers.image.source': 'https://github.com/example/app',
      'org.opencontainers.image.revision': 'main@sha1:0123456789abcdef0123456789abcdef01234567',
      'org.opencontainers.image.created': '2026-01-02T03:04:05Z',
    };
    const pushed = await pushFluxArtifact(plain, repo, 'v1.0.0', { 'deploy/app.yaml': 'kind: ConfigMap\n', 'README.md': '# app\n' }, annotations);
    const c = client(repo);
    const { digest } = await resolve(c, { tag: 'v1.0.0' });
    const dest = join(work, 'out');
    const result = await pull(c, digest, undefined, dest, pullOptions());
    const layer = pushed.layers[0]!;
    expect(result).toEqual({ digest: pushed.digest, layer: { mediaType: fluxContentMediaType, digest: layer.digest, size: layer.data.length }, metadata: annotations });
    expect(await tree(dest)).toEqual(['README.md', 'deploy/app.yaml', 'nonce.txt']);
    expect(await readFile(join(dest, 'deploy/app.yaml'), 'utf8')).toBe('kind: ConfigMap\n');
    // The temporary download is gone.
    expect(await readdir(work)).toEqual(['out']);
  });

  it('selects the layer by media type, and copies it verbatim', async () => {
    const repo = uniqueName('oci/select');
    const other = await tarGz({ 'other.txt': 'not this one' });
    const chart = await tarGz({ 'podinfo/Chart.yaml': 'name: podinfo\n', nonce: randomBytes(8).toString('hex') });
    const chartType = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
    const pushed = await pushLayers(plain, repo, 'latest', [
      { mediaType: fluxContentMediaType, data: other },
      { mediaType: chartType, data: chart },
    ]);
    const c = client(repo);
    const copied = join(work, 'chart.tgz');
    const result = await pull(c, pushed.digest, { mediaType: chartType, operation: 'copy' }, copied, pullOptions());
    expect(result).toEqual({ digest: pushed.digest, layer: { mediaType: chartType, digest: pushed.layers[1]!.digest, size: chart.length }, metadata: {} });
    expect((await readFile(copied)).equals(chart)).toBe(true);

    const extracted = join(work, 'extracted');
    await pull(c, pushed.digest, { mediaType: chartType }, extracted, pullOptions());
    expect(await tree(extracted)).toEqual(['nonce', 'podinfo/Chart.yaml']);

    expect(await failure(pull(c, pushed.digest, { mediaType: 'application/x-nope' }, join(work, 'x'), pullOptions()))).toEqual({
      name: 'ReconcileError',
      reason: Reason.OCIArtifactLayerOperationFailed,
      message: `failed to find a layer of media type 'application/x-nope' in '${plain.host}/${repo}@${pushed.digest}' (it has ${fluxContentMediaType}, ${chartType})`,
    });
  });

  it('pulls a Docker v2 manifest', async () => {
    const repo = uniqueName('oci/docker');
    const data = await tarGz({ 'a.txt': randomBytes(8).toString('hex') });
    const pushed = await pushLayers(plain, repo, 'latest', [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', data }], {
      manifestMediaType: dockerManifestMediaType,
      configMediaType: 'application/vnd.docker.container.image.v1+json',
    });
    const c = client(repo);
    expect(await resolve(c, undefined)).toEqual({ tag: 'latest', digest: pushed.digest, revision: `latest@${pushed.digest}` });
    await pull(c, pushed.digest, undefined, join(work, 'out'), pullOptions());
    expect(await tree(join(work, 'out'))).toEqual(['a.txt']);
  });

  it('refuses an index', async () => {
    const repo = uniqueName('oci/index');
    const artifact = await pushFluxArtifact(plain, repo, 'amd64');
    const manifest = (await getManifest(plain, repo, artifact.digest)).body;
    const index = {
      schemaVersion: 2,
      mediaType: ociIndexMediaType,
      manifests: [{ mediaType: ociManifestMediaType, digest: artifact.digest, size: manifest.length, platform: { os: 'linux', architecture: 'amd64' } }],
    };
    const digest = await pushManifest(plain, repo, 'multi', index, ociIndexMediaType);
    const c = client(repo);
    expect(await resolve(c, { tag: 'multi' })).toEqual({ tag: 'multi', digest, revision: `multi@${digest}` });
    expect(await failure(pull(c, digest, undefined, join(work, 'out'), pullOptions()))).toEqual({
      name: 'ReconcileError',
      reason: Reason.OCIArtifactPullFailed,
      message: `failed to pull '${plain.host}/${repo}@${digest}': the manifest is an index (${ociIndexMediaType}); multi-platform images are not supported, point spec.ref at a single manifest`,
    });
  });

  it('refuses a blob whose content does not match its digest', async () => {
    const repo = uniqueName('oci/tampered');
    const pushed = await pushFluxArtifact(plain, repo, 'latest', { 'a.txt': 'original' });
    const layer = pushed.layers[0]!;
    // Corrupt the blob in the registry's storage, keeping its size.
    const hex = layer.digest.slice('sha256:'.length);
    const blob = join(env.runDir, 'registry', 'plain', 'data', 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
    const tampered = Buffer.from(layer.data);
    tampered[tampered.length - 1] = tampered.at(-1)! ^ 0xff;
    await writeFile(blob, tampered);
    const dest = join(work, 'out');
    expect(await failure(pull(client(repo), pushed.digest, undefined, dest, pullOptions()))).toEqual({
      name: 'ReconcileError',
      reason: Reason.OCIArtifactLayerOperationFailed,
      message: `layer ${layer.digest} of '${plain.host}/${repo}': digest mismatch: the content's digest is ${sha256Digest(tampered)}, the descriptor states ${layer.digest}`,
    });
    // Nothing was extracted and the download is gone.
    expect(await readdir(work)).toEqual([]);
  });

  it('refuses content longer than its descriptor states', async () => {
    const repo = uniqueName('oci/longer');
    const data = await tarGz({ 'a.txt': randomBytes(64).toString('hex') });
    const pushed = await pushLayers(plain, repo, 'latest', [{ mediaType: fluxContentMediaType, data }]);
    const layer = pushed.layers[0]!;
    // A second manifest for the same blob that understates its size.
    const config = Buffer.from('{}');
    const digest = await pushManifest(plain, repo, 'short', {
      schemaVersion: 2,
      mediaType: ociManifestMediaType,
      config: { mediaType: 'application/vnd.cncf.flux.config.v1+json', digest: sha256Digest(config), size: config.length },
      layers: [{ mediaType: fluxContentMediaType, digest: layer.digest, size: 10 }],
    });
    expect(await failure(pull(client(repo), digest, undefined, join(work, 'out'), pullOptions()))).toEqual({
      name: 'ReconcileError',
      reason: Reason.OCIArtifactLayerOperationFailed,
      message: `layer ${layer.digest} of '${plain.host}/${repo}': the content is larger than the 10 bytes the descriptor states`,
    });
  });

  it('refuses a layer larger than maxSize before downloading it', async () => {
    const repo = uniqueName('oci/large');
    const pushed = await pushFluxArtifact(plain, repo, 'latest', { 'big.bin': randomBytes(4096) });
    const layer = pushed.layers[0]!;
    expect(await failure(pull(client(repo), pushed.digest, undefined, join(work, 'out'), pullOptions({ maxSize: 1000 })))).toEqual({
      name: 'ReconcileError',
      reason: Reason.OCIArtifactLayerOperationFailed,
      message: `layer ${layer.digest} of '${plain.host}/${repo}': size ${layer.data.length} bytes exceeds the limit of 1000 bytes`,
    });
  });

  it('refuses a layer whose extracted content exceeds maxSize', async () => {
    const repo = uniqueName('oci/bomb');
    // 256 KiB of zeros compress to well under the limit.
    const pushed = await pushFluxArtifact(plain, repo, 'latest', { 'zeros.bin': Buffer.alloc(256 << 10) });
    const layer = pushed.layers[0]!;
    expect(layer.data.length).toBeLessThan(8192);
    const err = await failure(pull(client(repo), pushed.digest, undefined, join(work, 'out'), pullOptions({ maxSize: 8192 })));
    expect({ name: err.name, reason: err.reason, prefix: err.message.startsWith(`layer ${layer.digest} of '${plain.host}/${repo}': extraction failed: `) }).toEqual({
      name: 'ReconcileError',
      reason: Reason.OCIArtifactLayerOperationFailed,
      prefix: true,
    });
  });

  it('refuses a manifest digest that is not one', async () => {
    expect(await failure(pull(client('oci/any'), 'latest', undefined, join(work, 'out'), pullOptions()))).toEqual({
      name: 'ReconcileError',
      reason: Reason.OCIArtifactPullFailed,
      message: `failed to pull '${plain.host}/oci/any@latest': not a sha256 or sha512 digest`,
    });
  });
});

describe('registry with basic auth', () => {
  it('pulls with the credentials of a dockerconfigjson Secret', async () => {
    const repo = uniqueName('oci/auth');
    const pushed = await pushFluxArtifact(authed, repo, 'v1.0.0', { 'a.txt': 'secret stuff' });
    const credentials = credentialsFromSecret(dockerConfigSecret(authed.host, authed.username!, authed.password!), 'ns/pull', authed.host);
    const c = client(repo, authed.host, credentials ? { credentials } : {});
    const ref = await resolve(c, { semver: '1.x' });
    expect(ref).toEqual({ tag: 'v1.0.0', digest: pushed.digest, revision: `v1.0.0@${pushed.digest}` });
    await pull(c, ref.digest, undefined, join(work, 'out'), pullOptions());
    expect(await readFile(join(work, 'out', 'a.txt'), 'utf8')).toBe('secret stuff');
  });

  it('fails with AuthenticationFailed for wrong credentials, never quoting them', async () => {
    const repo = uniqueName('oci/wrong');
    await pushFluxArtifact(authed, repo, 'v1.0.0');
    const password = `wrong-${randomBytes(6).toString('hex')}`;
    const credentials = credentialsFromSecret(dockerConfigSecret(authed.host, authed.username!, password), 'ns/pull', authed.host)!;
    const err = await failure(resolve(client(repo, authed.host, { credentials }), { tag: 'v1.0.0' }));
    expect(err).toEqual({
      name: 'ReconcileError',
      reason: Reason.AuthenticationFailed,
      message: `failed to resolve '${authed.host}/${repo}:v1.0.0': authentication failed: HTTP 401`,
    });
    const basic = Buffer.from(`${authed.username!}:${password}`).toString('base64');
    for (const secret of [password, basic, authed.password!]) expect(err.message).not.toContain(secret);
  });

  it('fails with AuthenticationFailed without credentials', async () => {
    const repo = uniqueName('oci/anon');
    await pushFluxArtifact(authed, repo, 'v1.0.0');
    expect(await failure(resolve(client(repo, authed.host), { semver: '*' }))).toEqual({
      name: 'ReconcileError',
      reason: Reason.AuthenticationFailed,
      message: `failed to list tags of '${authed.host}/${repo}': the registry requires authentication and no credentials are configured`,
    });
  });

  it('a Secret without an entry for the registry gives no credentials', () => {
    expect(credentialsFromSecret(dockerConfigSecret('127.0.0.1:1', 'u', 'p'), 'ns/pull', authed.host)).toBeUndefined();
  });
});
