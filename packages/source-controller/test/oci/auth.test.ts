import { Reason } from '@eddy/api';
import { ReconcileError, StallingError } from '@eddy/runtime';
import { describe, expect, it, vi } from 'vitest';
import {
  credentialsFromDockerConfig,
  credentialsFromSecret,
  ecrRegistry,
  parseChallenges,
  providerCredentials,
  RegistryAuthorizer,
  tlsFromSecret,
  type Challenge,
  type EcrRegistry,
  type RegistryCredentials,
  type RegistryTLS,
} from '../../src/oci/auth.ts';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const config = (auths: Record<string, object>): string => JSON.stringify({ auths });

async function failure(fn: () => unknown): Promise<{ name: string; reason: string; message: string }> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof ReconcileError || err instanceof StallingError) return { name: err.name, reason: err.reason, message: err.message };
    throw err;
  }
  throw new Error('expected a failure');
}

describe('credentialsFromDockerConfig', () => {
  const alice: RegistryCredentials = { username: 'alice', password: 'pa:ss' };
  it.each<[string, string, string, RegistryCredentials | undefined]>([
    ['auth of the exact host', config({ '127.0.0.1:5000': { auth: b64('alice:pa:ss') } }), '127.0.0.1:5000', alice],
    ['key with scheme', config({ 'https://127.0.0.1:5000': { auth: b64('alice:pa:ss') } }), '127.0.0.1:5000', alice],
    ['key with scheme and path', config({ 'http://127.0.0.1:5000/v2/': { auth: b64('alice:pa:ss') } }), '127.0.0.1:5000', alice],
    ['case-insensitive host', config({ 'GHCR.io': { auth: b64('alice:pa:ss') } }), 'ghcr.io', alice],
    ['username and password', config({ 'ghcr.io': { username: 'alice', password: 'pa:ss' } }), 'ghcr.io', alice],
    ['Docker Hub v1 key', config({ 'https://index.docker.io/v1/': { auth: b64('alice:pa:ss') } }), 'index.docker.io', alice],
    ['Docker Hub short key', config({ 'docker.io': { auth: b64('alice:pa:ss') } }), 'index.docker.io', alice],
    [
      'exact key wins over a scheme key',
      config({ 'https://ghcr.io': { auth: b64('bob:x') }, 'ghcr.io': { auth: b64('alice:pa:ss') } }),
      'ghcr.io',
      alice,
    ],
    ['other port does not match', config({ '127.0.0.1:5001': { auth: b64('alice:pa:ss') } }), '127.0.0.1:5000', undefined],
    ['no entry', config({ 'ghcr.io': { auth: b64('alice:pa:ss') } }), 'quay.io', undefined],
  ])('%s', (_name, json, host, expected) => {
    expect(credentialsFromDockerConfig(json, host)).toEqual(expected);
  });

  it.each<[string, string, string]>([
    ['not JSON', '{"auths": {"ghcr.io": {"auth": "c2VjcmV0"', 'the Docker config is not valid JSON'],
    ['no auths', '{"credsStore": "desktop"}', "the Docker config has no 'auths' object"],
    ['auth without colon', config({ 'ghcr.io': { auth: b64('s3cret') } }), "the Docker config entry for 'ghcr.io' has an 'auth' that is not base64 of <username>:<password>"],
    ['empty entry', config({ 'ghcr.io': {} }), "the Docker config entry for 'ghcr.io' has neither 'auth' nor 'username' and 'password'"],
  ])('refuses %s without quoting it', async (_name, json, message) => {
    expect(await failure(() => credentialsFromDockerConfig(json, 'ghcr.io'))).toEqual({ name: 'ReconcileError', reason: Reason.AuthenticationFailed, message });
  });
});

describe('credentialsFromSecret', () => {
  it('reads .dockerconfigjson', () => {
    const data = { '.dockerconfigjson': Buffer.from(config({ 'ghcr.io': { auth: b64('alice:pw') } })) };
    expect(credentialsFromSecret(data, 'ns/pull', 'ghcr.io')).toEqual({ username: 'alice', password: 'pw' });
  });

  it('refuses a Secret of another type', async () => {
    expect(await failure(() => credentialsFromSecret({ username: Buffer.from('alice'), password: Buffer.from('pw') }, 'ns/pull', 'ghcr.io'))).toEqual({
      name: 'ReconcileError',
      reason: Reason.AuthenticationFailed,
      message: "secret 'ns/pull' has no '.dockerconfigjson' key; it must be of type 'kubernetes.io/dockerconfigjson'",
    });
  });

  it('names the Secret of a malformed config', async () => {
    expect(await failure(() => credentialsFromSecret({ '.dockerconfigjson': Buffer.from('nope') }, 'ns/pull', 'ghcr.io'))).toEqual({
      name: 'ReconcileError',
      reason: Reason.AuthenticationFailed,
      message: "secret 'ns/pull': the Docker config is not valid JSON",
    });
  });
});

describe('tlsFromSecret', () => {
  it.each<[string, Record<string, string>, RegistryTLS]>([
    ['CA only', { 'ca.crt': 'CA' }, { ca: 'CA' }],
    ['client pair only', { 'tls.crt': 'CERT', 'tls.key': 'KEY' }, { cert: 'CERT', key: 'KEY' }],
    ['all three', { 'ca.crt': 'CA', 'tls.crt': 'CERT', 'tls.key': 'KEY' }, { ca: 'CA', cert: 'CERT', key: 'KEY' }],
  ])('%s', (_name, data, expected) => {
    const secret = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v)]));
    expect(tlsFromSecret(secret, 'ns/tls')).toEqual(expected);
  });

  it.each<[string, Record<string, string>, string]>([
    ['half a pair', { 'ca.crt': 'CA', 'tls.crt': 'CERT' }, "secret 'ns/tls' must hold both 'tls.crt' and 'tls.key', or neither"],
    ['nothing', { other: 'x' }, "secret 'ns/tls' has none of 'ca.crt', 'tls.crt' and 'tls.key'"],
  ])('refuses %s', async (_name, data, message) => {
    const secret = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v)]));
    expect(await failure(() => tlsFromSecret(secret, 'ns/tls'))).toEqual({ name: 'ReconcileError', reason: Reason.AuthenticationFailed, message });
  });
});

describe('ecrRegistry', () => {
  it.each<[string, EcrRegistry | undefined]>([
    ['012345678901.dkr.ecr.us-east-1.amazonaws.com', { accountId: '012345678901', region: 'us-east-1', fips: false }],
    ['012345678901.dkr.ecr.eu-west-3.amazonaws.com:443', { accountId: '012345678901', region: 'eu-west-3', fips: false }],
    ['012345678901.dkr.ecr-fips.us-gov-west-1.amazonaws.com', { accountId: '012345678901', region: 'us-gov-west-1', fips: true }],
    ['012345678901.dkr-ecr.cn-north-1.amazonaws.com.cn', { accountId: '012345678901', region: 'cn-north-1', fips: false }],
    ['012345678901.dkr.ecr.us-isob-east-1.sc2s.sgov.gov', { accountId: '012345678901', region: 'us-isob-east-1', fips: false }],
    ['ghcr.io', undefined],
    ['12345.dkr.ecr.us-east-1.amazonaws.com', undefined],
    ['012345678901.dkr.ecr.us-east-1.amazonaws.com.evil.io', undefined],
  ])('%s', (host, expected) => {
    expect(ecrRegistry(host)).toEqual(expected);
  });
});

describe('providerCredentials', () => {
  const ecrHost = '012345678901.dkr.ecr.eu-central-1.amazonaws.com';

  it('generic gives no credentials (the Secret is used)', async () => {
    expect(await providerCredentials(undefined, ecrHost)).toBeUndefined();
    expect(await providerCredentials('generic', ecrHost)).toBeUndefined();
  });

  it('aws selects ECR for the registry region and decodes its token', async () => {
    const source = vi.fn(async () => b64('AWS:ecr-password'));
    expect(await providerCredentials('aws', ecrHost, { ecrTokenSource: source })).toEqual({ username: 'AWS', password: 'ecr-password' });
    expect(source.mock.calls).toEqual([[{ accountId: '012345678901', region: 'eu-central-1', fips: false }, undefined]]);
  });

  it('aws with a registry that is not ECR stalls', async () => {
    const source = vi.fn(async () => b64('AWS:x'));
    expect(await failure(() => providerCredentials('aws', 'ghcr.io', { ecrTokenSource: source }))).toEqual({
      name: 'StallingError',
      reason: Reason.InvalidProviderConfiguration,
      message: "provider 'aws' needs an ECR registry (<account>.dkr.ecr.<region>.amazonaws.com), got 'ghcr.io'",
    });
    expect(source).not.toHaveBeenCalled();
  });

  it('an ECR failure is an authentication failure naming the region', async () => {
    const source = vi.fn(async () => {
      throw new Error('no credentials in the chain');
    });
    expect(await failure(() => providerCredentials('aws', ecrHost, { ecrTokenSource: source }))).toEqual({
      name: 'ReconcileError',
      reason: Reason.AuthenticationFailed,
      message: `failed to get an ECR authorization token for '${ecrHost}' in region eu-central-1: no credentials in the chain`,
    });
  });

  it.each(['azure', 'gcp'] as const)('%s is not supported yet', async (provider) => {
    expect(await failure(() => providerCredentials(provider, 'example.azurecr.io'))).toEqual({
      name: 'StallingError',
      reason: Reason.InvalidProviderConfiguration,
      message: `provider '${provider}' is not supported; use provider 'generic' with spec.secretRef`,
    });
  });
});

describe('parseChallenges', () => {
  it.each<[string, Challenge[]]>([
    ['', []],
    ['Basic realm="eddy-registry"', [{ scheme: 'basic', params: { realm: 'eddy-registry' } }]],
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
      [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' } }],
    ],
    ['bearer  Realm = "https://r/t" , Service=reg', [{ scheme: 'bearer', params: { realm: 'https://r/t', service: 'reg' } }]],
    [
      'Basic realm="a", Bearer realm="https://b/token",service="s"',
      [
        { scheme: 'basic', params: { realm: 'a' } },
        { scheme: 'bearer', params: { realm: 'https://b/token', service: 's' } },
      ],
    ],
    ['Bearer realm="a\\"b"', [{ scheme: 'bearer', params: { realm: 'a"b' } }]],
    [
      'Negotiate abc123, Basic realm="x"',
      [
        { scheme: 'negotiate', params: {} },
        { scheme: 'basic', params: { realm: 'x' } },
      ],
    ],
  ])('%j', (header, expected) => {
    expect(parseChallenges(header)).toEqual(expected);
  });
});

describe('RegistryAuthorizer', () => {
  const credentials = { username: 'robot', password: 'pw' };
  const noFetch = (): Promise<never> => Promise.reject(new Error('must not be called'));

  it('answers a Basic challenge with the credentials', async () => {
    const authorizer = new RegistryAuthorizer({ repository: 'x/y', insecure: false, credentials, fetch: noFetch });
    expect(authorizer.authorization()).toBeUndefined();
    await authorizer.answer('Basic realm="r"');
    expect(authorizer.authorization()).toBe(`Basic ${b64('robot:pw')}`);
  });

  it.each<[string, string, boolean, string]>([
    ['Basic without credentials', 'Basic realm="r"', false, 'the registry requires authentication and no credentials are configured'],
    ['an unknown scheme', 'Digest realm="r"', true, "the registry answered 401 with an unsupported challenge 'digest'"],
    ['no challenge', '', true, "the registry answered 401 with an unsupported challenge ''"],
    ['a realm-less Bearer', 'Bearer service="s"', true, 'the registry sent a Bearer challenge without a realm'],
    [
      'a plain-HTTP realm over HTTPS',
      'Bearer realm="http://auth.example.com/token",service="s"',
      true,
      "refusing the token realm 'http://auth.example.com/token': it must be https (or http with spec.insecure)",
    ],
  ])('refuses %s', async (_name, header, withCredentials, message) => {
    const authorizer = new RegistryAuthorizer({ repository: 'x/y', insecure: false, ...(withCredentials ? { credentials } : {}), fetch: noFetch });
    expect(await failure(() => authorizer.answer(header))).toEqual({ name: 'ReconcileError', reason: Reason.AuthenticationFailed, message });
  });
});
