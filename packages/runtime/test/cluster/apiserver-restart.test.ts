// The API server goes away mid-watch and comes back: the manager's informers recover by
// themselves, readiness reflects the outage, and changes made afterwards are reconciled.
// This test breaks its own environment, never the shared one.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { eventually, installWidgetCrd, repoRoot, uniqueName, type EnvInfo, type Widget } from '@eddy/testkit';
import { startComponent, startEnvironment, stopComponent, stopEnvironment } from '@eddy/testkit/env';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWidgetManager, type TestManager } from '../fixtures/widget-manager.ts';

const stateDir = join(repoRoot(), '.eddy', 'test-env', uniqueName('apiserver-restart'));
let env: EnvInfo;
let kc: KubeConfig;
let m: TestManager | undefined;

beforeAll(async () => {
  env = await startEnvironment({ stateDir, log: () => undefined });
  kc = new KubeConfig();
  kc.loadFromFile(env.kubeconfig);
  await installWidgetCrd(kc);
}, 180_000);

afterAll(async () => {
  await m?.stop();
  await stopEnvironment(stateDir);
  await rm(stateDir, { recursive: true, force: true });
});

const widgets = (): CustomObjectsApi => kc.makeApiClient(CustomObjectsApi);
const gvp = { group: 'test.eddy.dev', version: 'v1', plural: 'widgets' };

async function ready(namespace: string, name: string): Promise<{ status?: string; generation?: number; observed?: number }> {
  const w = (await widgets().getNamespacedCustomObject({ ...gvp, namespace, name })) as Widget;
  return { status: w.status?.conditions?.find((c) => c.type === 'Ready')?.status, generation: w.metadata.generation, observed: w.status?.observedGeneration };
}

describe('API server restart', () => {
  it('recovers the watch and reconciles changes made after the restart', async () => {
    const ns = uniqueName('restart');
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
    m = startWidgetManager(env, ns);
    await widgets().createNamespacedCustomObject({ ...gvp, namespace: ns, body: { apiVersion: 'test.eddy.dev/v1', kind: 'Widget', metadata: { name: 'before' }, spec: {} } });
    await eventually(async () => expect((await ready(ns, 'before')).status).toBe('True'), { description: 'before Ready' });

    await stopComponent(stateDir, 'kube-apiserver');
    // Readiness turns red while the watch is broken.
    await eventually(async () => expect((await fetch(`http://${m!.manager.addresses.health}/readyz`)).status).toBe(500), {
      timeoutMs: 30_000,
      description: 'readyz reports the broken watch',
    });
    await startComponent(stateDir, 'kube-apiserver');

    await widgets().createNamespacedCustomObject({ ...gvp, namespace: ns, body: { apiVersion: 'test.eddy.dev/v1', kind: 'Widget', metadata: { name: 'after' }, spec: {} } });
    await widgets().patchNamespacedCustomObject({ ...gvp, namespace: ns, name: 'before', body: [{ op: 'add', path: '/spec/interval', value: '1h' }] });
    await eventually(async () => expect((await ready(ns, 'after')).status).toBe('True'), { timeoutMs: 60_000, description: 'after Ready' });
    await eventually(async () => expect(await ready(ns, 'before')).toEqual({ status: 'True', generation: 2, observed: 2 }), {
      timeoutMs: 60_000,
      description: 'before reconciled at generation 2',
    });
    await eventually(async () => expect((await fetch(`http://${m!.manager.addresses.health}/readyz`)).status).toBe(200), { description: 'ready again' });
  }, 180_000);
});
