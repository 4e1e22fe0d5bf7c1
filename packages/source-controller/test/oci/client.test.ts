// The registry client against servers in front of the environment's plain registry: the
// Bearer token flow, a blob redirect to another host, and TLS (CA and client certificates).
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Reason } from '@eddy/api';
import { ReconcileFailure, extractArchive } from '@eddy/runtime';
import { testEnv, uniqueName } from '@eddy/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RegistryClient, type RegistryClientOptions } from '../../src/oci/client.ts';
import { pull, resolve, type PullOptions } from '../../src/oci/pull.ts';
import { makePki, pushFluxArtifact, startRedirectingRegistry, startTlsRegistry, startTokenRegistry, type TestPki } from './fixtures.ts';

const env = testEnv();
const plain = env.registry.plain;
const login = { username: 'robot', password: `pw-${randomBytes(8).toString('hex')}` };

async function failure(p: Promise<unknown>): Promise<{ name: string; reason: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ReconcileFailure) return { name: err.name, reason: err.reason, message: err.message };
    throw err;
  }
  throw new Error('expected a rejection');
}

let work: string;
const clients: RegistryClient[] = [];
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'oci-client-test-'));
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await rm(work, { recursive: true, force: true });
});

function client(url: string, options: RegistryClientOptions): RegistryClient {
  const c = new RegistryClient(url, options);
  clients.push(c);
  return c;
}

function pullOptions(): PullOptions {
  return { maxSize: 1 << 20, extract: extractArchive, tmpDir: work };
}

describe('Bearer token flow', () => {
  let registry: Awaited<ReturnType<typeof startTokenRegistry>>;
  beforeAll(async () => {
    registry = await startTokenRegistry(plain.host, login);
  });
  afterAll(async () => {
    await registry.close();
  });

  it('trades the credentials for a token at the realm, then pulls with it', async () => {
    const repo = uniqueName('oci/bearer');
    const pushed = await pushFluxArtifact(plain, repo, 'v1.0.0', { 'a.txt': 'hello' });
    const c = client(`oci://${registry.host}/${repo}`, { insecure: true, credentials: login });
    const ref = await resolve(c, { semver: '>=1.0.0' });
    expect(ref).toEqual({ tag: 'v1.0.0', digest: pushed.digest, revision: `v1.0.0@${pushed.digest}` });
    await pull(c, ref.digest, undefined, join(work, 'out'), pullOptions());
    expect(await readFile(join(work, 'out', 'a.txt'), 'utf8')).toBe('hello');
    // One token served the whole session.
    expect(registry.tokenRequests.map((q) => ({ service: q.get('service'), scope: q.getAll('scope') }))).toEqual([
      { service: 'eddy-test', scope: [`repository:${repo}:pull`] },
    ]);
  });

  it('fails with AuthenticationFailed when the realm refuses the credentials, never quoting them', async () => {
    const repo = uniqueName('oci/bearer-wrong');
    await pushFluxArtifact(plain, repo, 'latest');
    const wrong = { username: login.username, password: `nope-${randomBytes(6).toString('hex')}` };
    const err = await failure(resolve(client(`oci://${registry.host}/${repo}`, { insecure: true, credentials: wrong }), undefined));
    expect(err).toEqual({
      name: 'ReconcileError',
      reason: Reason.AuthenticationFailed,
      message: `failed to resolve '${registry.host}/${repo}:latest': token request to 'http://${registry.host}/token' refused: HTTP 401`,
    });
    expect(err.message).not.toContain(wrong.password);
  });
});

describe('redirects', () => {
  it('follows a blob redirect to another host without sending the credentials there', async () => {
    const registry = await startRedirectingRegistry(plain.host, login);
    try {
      const repo = uniqueName('oci/redirect');
      const pushed = await pushFluxArtifact(plain, repo, 'latest', { 'a.txt': 'moved' });
      const c = client(`oci://${registry.host}/${repo}`, { insecure: true, credentials: login });
      const ref = await resolve(c, undefined);
      await pull(c, ref.digest, undefined, join(work, 'out'), pullOptions());
      expect(await readFile(join(work, 'out', 'a.txt'), 'utf8')).toBe('moved');
      expect(ref.digest).toBe(pushed.digest);
      expect(registry.blobAuthorizations).toEqual([undefined]);
    } finally {
      await registry.close();
    }
  });
});

describe('TLS', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await makePki();
  });

  it('trusts the registry only with the CA of certSecretRef', async () => {
    const registry = await startTlsRegistry(plain.host, pki, false);
    try {
      const repo = uniqueName('oci/tls');
      const pushed = await pushFluxArtifact(plain, repo, 'latest');
      const url = `oci://${registry.host}/${repo}`;
      const untrusted = await failure(resolve(client(url, {}), undefined));
      expect({ name: untrusted.name, reason: untrusted.reason, message: untrusted.message.replace(/: [^:]*certificate[^:]*$/, ': <certificate error>') }).toEqual({
        name: 'ReconcileError',
        reason: Reason.OCIArtifactPullFailed,
        message: `failed to resolve '${registry.host}/${repo}:latest': fetch failed: <certificate error>`,
      });
      expect(await resolve(client(url, { tls: { ca: pki.ca } }), undefined)).toEqual({ tag: 'latest', digest: pushed.digest, revision: `latest@${pushed.digest}` });
    } finally {
      await registry.close();
    }
  });

  it('presents the client certificate of certSecretRef', async () => {
    const registry = await startTlsRegistry(plain.host, pki, true);
    try {
      const repo = uniqueName('oci/mtls');
      const pushed = await pushFluxArtifact(plain, repo, 'latest', { 'a.txt': 'mutual' });
      const url = `oci://${registry.host}/${repo}`;
      const refused = await failure(resolve(client(url, { tls: { ca: pki.ca } }), undefined));
      expect({ name: refused.name, reason: refused.reason }).toEqual({ name: 'ReconcileError', reason: Reason.OCIArtifactPullFailed });
      const c = client(url, { tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey } });
      const ref = await resolve(c, undefined);
      expect(ref.digest).toBe(pushed.digest);
      await pull(c, ref.digest, undefined, join(work, 'out'), pullOptions());
      expect(await readFile(join(work, 'out', 'a.txt'), 'utf8')).toBe('mutual');
    } finally {
      await registry.close();
    }
  });
});
