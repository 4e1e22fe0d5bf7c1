/** Kubernetes clients for tests, and a fresh namespace per test. */
import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { onTestFinished } from 'vitest';
import type { EnvInfo } from './env/info.ts';
import { runCommand } from './env/process.ts';

/** A KubeConfig for the environment's admin, or for a bearer token given. */
export function kubeConfig(env: EnvInfo, opts: { token?: string; impersonate?: string } = {}): KubeConfig {
  const kc = new KubeConfig();
  if (!opts.token && !opts.impersonate) {
    kc.loadFromFile(env.kubeconfig);
    return kc;
  }
  const user = { name: 'user', token: opts.token ?? env.kube.admin.token, ...(opts.impersonate ? { impersonateUser: opts.impersonate } : {}) };
  kc.loadFromOptions({
    clusters: [{ name: 'eddy', server: env.kube.server, caFile: env.kube.caFile }],
    users: [user],
    contexts: [{ name: 'eddy', cluster: 'eddy', user: 'user' }],
    currentContext: 'eddy',
  });
  return kc;
}

/** A name unique to this run: `<prefix>-<8 hex>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/**
 * Creates a namespace unique to the calling test and deletes it when the test finishes.
 * Call it inside a test.
 */
export async function testNamespace(env: EnvInfo, prefix = 'test'): Promise<string> {
  const core = kubeConfig(env).makeApiClient(CoreV1Api);
  const name = uniqueName(prefix);
  await core.createNamespace({ body: { metadata: { name, labels: { 'eddy.test/namespace': 'true' } } } });
  onTestFinished(async () => {
    await core.deleteNamespace({ name }).catch(() => undefined);
  });
  return name;
}

/**
 * Makes `eddy uninstall -n <namespace>` remove finalizers in that namespace only: it marks the
 * Eddy components installed there (kwok runs them, nothing executes them) as watching their own
 * namespace. Uninstalling components that watch all namespaces removes the finalizers of Flux
 * objects in every namespace, as `flux uninstall` does; on the shared test cluster those are
 * other tests' objects, so a test's cleanup must not do that.
 */
export async function keepUninstallInNamespace(env: EnvInfo, namespace: string): Promise<void> {
  const kubectl = (args: string[]): Promise<string> => runCommand(env.tools.kubectl, ['--kubeconfig', env.kubeconfig, '-n', namespace, ...args]);
  const deployments = (await kubectl(['get', 'deployments', '-l', 'app.kubernetes.io/part-of=eddy', '-o', 'name'])).split('\n').filter(Boolean);
  const patch = JSON.stringify([{ op: 'add', path: '/spec/template/spec/containers/0/args/-', value: '--watch-all-namespaces=false' }]);
  for (const d of deployments) await kubectl(['patch', d, '--type=json', '-p', patch]);
}
