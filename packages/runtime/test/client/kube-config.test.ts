import { HttpMethod, KubeConfig, RequestContext } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { StallingError } from '../../src/errors/errors.ts';
import { RateLimitedKubeConfig, impersonatingKubeConfig, remoteKubeConfig, serviceAccountUser, tenantServiceAccount } from '../../src/client/kube-config.ts';
import { TokenBucket } from '../../src/client/rate-limiter.ts';

const kubeconfig = (user: string, cluster = '    server: https://remote.example:6443\n    certificate-authority-data: Zm9v\n'): string =>
  `apiVersion: v1
kind: Config
clusters:
- name: remote
  cluster:
${cluster}users:
- name: admin
  user:
${user}contexts:
- name: remote
  context: { cluster: remote, user: admin }
current-context: remote
`;

describe('tenantServiceAccount', () => {
  it.each([
    ['deployer', 'fallback', 'deployer'],
    [undefined, 'fallback', 'fallback'],
    ['', 'fallback', 'fallback'],
    [undefined, '', undefined],
  ])('spec %j with default %j acts as %j', (spec, dflt, expected) => {
    expect(tenantServiceAccount(spec, dflt)).toBe(expected);
  });
});

describe('impersonatingKubeConfig', () => {
  it('keeps the cluster, credentials and rate limit and adds the Impersonate-User identity', () => {
    const base = new RateLimitedKubeConfig(new TokenBucket(5, 10));
    base.loadFromString(kubeconfig('    token: secret-token\n'));
    const kc = impersonatingKubeConfig(base, 'team-a', 'deployer');
    expect(serviceAccountUser('team-a', 'deployer')).toBe('system:serviceaccount:team-a:deployer');
    expect(kc.getCurrentUser()).toMatchObject({ token: 'secret-token', impersonateUser: 'system:serviceaccount:team-a:deployer' });
    expect(kc.getCurrentCluster()?.server).toBe('https://remote.example:6443');
    expect(kc).toBeInstanceOf(RateLimitedKubeConfig);
    expect((kc as RateLimitedKubeConfig).limiter).toBe(base.limiter);
    // The base is untouched.
    expect(base.getCurrentUser()?.impersonateUser).toBeUndefined();
  });
});

describe('remoteKubeConfig', () => {
  it('reads a token kubeconfig', () => {
    const kc = remoteKubeConfig(kubeconfig('    token: abc\n'), 'prod-kubeconfig');
    expect(kc).toBeInstanceOf(KubeConfig);
    expect(kc.getCurrentCluster()?.server).toBe('https://remote.example:6443');
  });

  it.each([
    ['a credential plugin', kubeconfig('    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: aws\n'), undefined, /uses a credential plugin, which is disabled \(--insecure-kubeconfig-exec=false\)/],
    ['disabled TLS verification', kubeconfig('    token: abc\n', '    server: https://remote.example:6443\n    insecure-skip-tls-verify: true\n'), undefined, /disables TLS verification, which is refused/],
    ['text that is not a kubeconfig', '[unclosed', undefined, /the kubeconfig in Secret prod-kubeconfig cannot be read/],
  ])('refuses %s with a StallingError naming the Secret', (_, text, opts, message) => {
    expect(() => remoteKubeConfig(text, 'prod-kubeconfig', opts)).toThrow(StallingError);
    expect(() => remoteKubeConfig(text, 'prod-kubeconfig', opts)).toThrow(message);
  });

  it('never quotes the kubeconfig text in a parse error (it holds credentials)', () => {
    let message = '';
    try {
      remoteKubeConfig('users:\n  - name: u\n    user:\n      token: s3cret-token\n    bad: [\n', 'prod-kubeconfig');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^the kubeconfig in Secret prod-kubeconfig cannot be read: .+/);
    expect(message).not.toContain('s3cret-token');
    expect(message).not.toContain('\n');
  });

  it('allows what the insecure flags allow', () => {
    expect(() => remoteKubeConfig(kubeconfig('    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: aws\n'), 's', { allowExec: true })).not.toThrow();
    expect(() => remoteKubeConfig(kubeconfig('    token: abc\n', '    server: https://r:6443\n    insecure-skip-tls-verify: true\n'), 's', { allowInsecureTls: true })).not.toThrow();
  });
});

describe('RateLimitedKubeConfig connections', () => {
  const contextFor = async (kc: KubeConfig) => {
    const ctx = new RequestContext('https://remote.example:6443/api/v1/namespaces', HttpMethod.GET);
    await kc.applySecurityAuthentication(ctx);
    return ctx;
  };
  const base = () => {
    const kc = new RateLimitedKubeConfig(new TokenBucket(1000, 1000));
    kc.loadFromString(kubeconfig('    token: abc\n'));
    return kc;
  };

  it('sends every request of one TLS identity through one connection pool, impersonating or not, headers per request', async () => {
    const kc = base();
    const first = await contextFor(kc);
    const second = await contextFor(kc);
    const tenant = await contextFor(impersonatingKubeConfig(kc, 'apps', 'deployer'));
    expect(first.getDispatcher()).toBeDefined();
    expect(second.getDispatcher()).toBe(first.getDispatcher());
    expect(tenant.getDispatcher()).toBe(first.getDispatcher());
    expect(tenant.getHeaders()['Impersonate-User']).toBe(serviceAccountUser('apps', 'deployer'));
    expect(first.getHeaders()['Impersonate-User']).toBeUndefined();
  });

  it('gives another cluster or CA its own pool', async () => {
    const other = new RateLimitedKubeConfig(new TokenBucket(1000, 1000));
    other.loadFromString(kubeconfig('    token: abc\n', '    server: https://remote.example:6443\n    certificate-authority-data: YmFy\n'));
    expect((await contextFor(other)).getDispatcher()).not.toBe((await contextFor(base())).getDispatcher());
  });
});
