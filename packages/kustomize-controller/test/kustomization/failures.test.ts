// Bad input gets a clear error and loses nothing: malformed YAML names the file and line, an
// invalid object names itself and the API server's field message, the last good state stays
// applied, and one broken Kustomization does not hold up the others.
import { CoreV1Api } from '@kubernetes/client-node';
import { eventually, kubeConfig, testEnv, testNamespace } from '@eddy/testkit';
import { describe, expect, it } from 'vitest';
import { kustomizeTestbed } from '../fixtures/kustomize-manager.ts';
import { createKustomization, readKustomization, readyAt, readyFalse, readyMessage } from '../fixtures/kustomizations.ts';

const bed = kustomizeTestbed();
const core = () => kubeConfig(testEnv()).makeApiClient(CoreV1Api);
const configMap = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  a: b\n`;
const deployment = (replicas: string, extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: ${replicas}
${extra}  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers: [{ name: web, image: nginx:1.27 }]
`;

describe('Kustomization failures', () => {
  it('names the file and line of malformed YAML and the field of an invalid object, keeping the last good revision applied', async () => {
    const ns = await testNamespace(testEnv(), 'ks-bad');
    await bed.start(ns);
    const good = 'main@sha1:1111111111111111111111111111111111111111';
    await bed.source().publish(bed.kubeConfig(), ns, 'repo', good, { 'app/cm.yaml': configMap('settings'), 'app/deploy.yaml': deployment('1') });
    await createKustomization(ns, 'app', { path: './app', retryInterval: '2s' });
    await readyAt(ns, 'app', good);

    const malformed = 'main@sha1:2222222222222222222222222222222222222222';
    await bed.source().publish(bed.kubeConfig(), ns, 'repo', malformed, { 'app/deploy.yaml': deployment('1'), 'app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  k: [unclosed\n' });
    const buildFailed = await readyFalse(ns, 'app', 'BuildFailed');
    expect(readyMessage(buildFailed)).toMatch(/yaml: line \d+: .* in File: cm\.yaml/);
    expect(buildFailed.status?.lastAttemptedRevision).toBe(malformed);
    expect(buildFailed.status?.lastAppliedRevision).toBe(good);

    const invalid = 'main@sha1:3333333333333333333333333333333333333333';
    await bed.source().publish(bed.kubeConfig(), ns, 'repo', invalid, { 'app/deploy.yaml': deployment('-1') });
    const applyFailed = await eventually(
      async () => {
        const o = await readKustomization(ns, 'app');
        expect(o.status?.lastAttemptedRevision).toBe(invalid);
        expect(o.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ReconciliationFailed' });
        return o;
      },
      { timeoutMs: 60_000, description: 'ReconciliationFailed at the invalid revision' },
    );
    expect(readyMessage(applyFailed)).toContain(`Deployment/${ns}/web`);
    expect(readyMessage(applyFailed)).toContain('spec.replicas');
    // The revision that dropped cm.yaml never applied, so nothing was pruned.
    expect(applyFailed.status?.lastAppliedRevision).toBe(good);
    expect((await core().readNamespacedConfigMap({ namespace: ns, name: 'settings' })).data).toEqual({ a: 'b' });
    expect(applyFailed.status?.inventory?.entries.map((e) => e.id).sort()).toEqual([`${ns}_settings__ConfigMap`, `${ns}_web_apps_Deployment`]);
    expect(applyFailed.status?.history?.map((h) => h.lastReconciledStatus)).toEqual(['ReconciliationFailed', 'ReconciliationSucceeded']);
  });

  it('one Kustomization stuck on a health check does not hold up 50 healthy ones', async () => {
    const ns = await testNamespace(testEnv(), 'ks-many');
    await bed.start(ns);
    const rev = 'main@sha1:4444444444444444444444444444444444444444';
    const files: Record<string, string> = { 'broken/deploy.yaml': deployment('1', '  progressDeadlineSeconds: 600\n').replace('containers:', 'nodeSelector: { eddy.dev/no-such-node: "true" }\n      containers:') };
    for (let i = 0; i < 50; i++) files[`app-${i}/cm.yaml`] = configMap(`settings-${i}`);
    await bed.source().publish(bed.kubeConfig(), ns, 'repo', rev, files);
    // The broken one first, so it takes a worker before the others are even queued.
    await createKustomization(ns, 'broken', { path: './broken', wait: true, timeout: '5m' });
    await eventually(async () => expect((await readKustomization(ns, 'broken')).status?.conditions?.find((c) => c.type === 'Reconciling')?.message).toMatch(/^Running health checks/), {
      timeoutMs: 30_000,
      description: 'broken is waiting on its health check',
    });
    const started = Date.now();
    await Promise.all(Array.from({ length: 50 }, (_, i) => createKustomization(ns, `app-${i}`, { path: `./app-${i}` })));
    await Promise.all(Array.from({ length: 50 }, (_, i) => readyAt(ns, `app-${i}`, rev, { timeoutMs: 90_000 })));
    const elapsedMs = Date.now() - started;
    // All 50 were applied while the broken one still waits (its timeout is 5 minutes).
    const broken = await readKustomization(ns, 'broken');
    expect(broken.status?.conditions?.find((c) => c.type === 'Ready')?.status).not.toBe('True');
    expect(broken.status?.lastAppliedRevision).toBeUndefined();
    expect(elapsedMs).toBeLessThan(90_000);
  }, 180_000);
});
