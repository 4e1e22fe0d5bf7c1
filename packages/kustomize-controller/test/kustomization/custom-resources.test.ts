// Custom resources: a CRD and its objects applied by one reconcile, an object whose CRD is
// missing waiting until it is installed, and CEL health checks (spec.healthCheckExprs) deciding
// when such objects are healthy or failed.
import { ApiextensionsV1Api } from '@kubernetes/client-node';
import { ObjectClient } from '@eddy/runtime';
import { eventually, kubeConfig, testEnv, testNamespace } from '@eddy/testkit';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kustomizeTestbed } from '../fixtures/kustomize-manager.ts';
import { conditionsOf, createKustomization, readKustomization, readyAt, readyFalse, readyMessage } from '../fixtures/kustomizations.ts';

const bed = kustomizeTestbed();

/** A Gadget CRD in a group of the test's own (CRDs are cluster-wide). */
const gadgetCrd = (group: string) => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.${group}
spec:
  group: ${group}
  names: { kind: Gadget, listKind: GadgetList, plural: gadgets, singular: gadget }
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      subresources: { status: {} }
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: { type: object, x-kubernetes-preserve-unknown-fields: true }
            status: { type: object, x-kubernetes-preserve-unknown-fields: true }
`;
const gadget = (group: string, name: string) => `apiVersion: ${group}/v1\nkind: Gadget\nmetadata:\n  name: ${name}\nspec:\n  size: 1\n`;

/** Sets a Gadget's status.phase, as its controller would. */
async function setPhase(group: string, ns: string, name: string, phase: string): Promise<void> {
  const client = new ObjectClient(bed.kubeConfig());
  const withStatus = { apiVersion: `${group}/v1`, kind: 'Gadget', metadata: { name, namespace: ns }, status: { phase } };
  await client.apply(withStatus, { fieldManager: 'gadget-controller', subresource: 'status' });
}

const healthCheckExprs = (group: string) => [
  { apiVersion: `${group}/v1`, kind: 'Gadget', current: "has(status.phase) && status.phase == 'Running'", failed: "has(status.phase) && status.phase == 'Broken'" },
];

describe('Kustomization with custom resources', () => {
  it('applies a CRD and its objects in one reconcile, and waits on CEL health checks until they pass', async () => {
    const ns = await testNamespace(testEnv(), 'ks-crd');
    const group = `${ns}.eddy.test`;
    await bed.start(ns);
    const rev1 = 'main@sha1:1111111111111111111111111111111111111111';
    await bed.source().publish(bed.kubeConfig(), ns, 'repo', rev1, { 'crd.yaml': gadgetCrd(group), 'gadget.yaml': gadget(group, 'one') });
    await createKustomization(ns, 'app', { wait: true, timeout: '2m', healthCheckExprs: healthCheckExprs(group) });

    // Applied, but not healthy until the Gadget runs.
    const live = await eventually(async () => new ObjectClient(bed.kubeConfig()).find({ apiVersion: `${group}/v1`, kind: 'Gadget', metadata: { name: 'one', namespace: ns } }).then((o) => (expect(o).toBeDefined(), o)), {
      timeoutMs: 30_000,
      description: 'Gadget applied',
    });
    expect(live).toMatchObject({ spec: { size: 1 } });
    expect((await readKustomization(ns, 'app')).status?.lastAppliedRevision).toBeUndefined();
    await setPhase(group, ns, 'one', 'Running');
    const ready = await eventually(
      async () => {
        const o = await readKustomization(ns, 'app');
        expect(conditionsOf(o)).toEqual([
          { type: 'Healthy', status: 'True', reason: 'Succeeded', message: 'Health check passed' },
          { type: 'Ready', status: 'True', reason: 'ReconciliationSucceeded', message: `Applied revision: ${rev1}` },
        ]);
        return o;
      },
      { timeoutMs: 60_000, description: 'Healthy and Ready' },
    );
    // One reconcile did it all: the CRD was applied and Established before its Gadget.
    expect(ready.status?.history).toEqual([expect.objectContaining({ lastReconciledStatus: 'ReconciliationSucceeded', totalReconciliations: 1 })]);

    // A Gadget whose 'failed' expression turns true fails the health check before the timeout.
    const rev2 = 'main@sha1:2222222222222222222222222222222222222222';
    await bed.source().publish(bed.kubeConfig(), ns, 'repo', rev2, { 'crd.yaml': gadgetCrd(group), 'gadget.yaml': gadget(group, 'one'), 'bad.yaml': gadget(group, 'bad') });
    await eventually(async () => expect(await new ObjectClient(bed.kubeConfig()).find({ apiVersion: `${group}/v1`, kind: 'Gadget', metadata: { name: 'bad', namespace: ns } })).toBeDefined(), {
      timeoutMs: 30_000,
      description: 'bad Gadget applied',
    });
    const started = Date.now();
    await setPhase(group, ns, 'bad', 'Broken');
    const failed = await readyFalse(ns, 'app', 'HealthCheckFailed');
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(readyMessage(failed)).toContain(`Gadget/${ns}/bad: health check expression 'failed' is true`);
    expect(readyMessage(failed)).not.toContain(`Gadget/${ns}/one`);
  }, 180_000);

  it('stalls on an invalid health check expression, naming the field', async () => {
    const ns = await testNamespace(testEnv(), 'ks-cel');
    await bed.start(ns);
    await bed.source().publish(bed.kubeConfig(), ns, 'repo', 'main@sha1:3333333333333333333333333333333333333333', { 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n' });
    await createKustomization(ns, 'app', { healthCheckExprs: [{ apiVersion: 'example.com/v1', kind: 'Pool', current: "status.conditions.exists(c, c.type == 'Ready'" }] });
    const stalled = await readyFalse(ns, 'app', 'InvalidCELExpression');
    expect(readyMessage(stalled)).toMatch(/^invalid CEL expression in spec\.healthCheckExprs\[0\]\.current: .+/);
    expect(stalled.status?.conditions?.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True', reason: 'InvalidCELExpression' });
  });

  it('waits while an object’s CRD is missing, naming the kind, and applies once the CRD is installed', async () => {
    const ns = await testNamespace(testEnv(), 'ks-nocrd');
    const group = `${ns}.eddy.test`;
    await bed.start(ns);
    const rev = 'main@sha1:4444444444444444444444444444444444444444';
    await bed.source().publish(bed.kubeConfig(), ns, 'repo', rev, { 'gadget.yaml': gadget(group, 'one'), 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n' });
    await createKustomization(ns, 'app', {});
    const waiting = await readyFalse(ns, 'app', 'ReconciliationFailed');
    expect(readyMessage(waiting)).toBe(`Gadget/${ns}/one: no matches for kind "Gadget" in version "${group}/v1": the CustomResourceDefinition of Gadget is missing`);
    expect(waiting.status?.conditions?.find((c) => c.type === 'Stalled')).toBeUndefined();

    // Installed out of band (say, by another Kustomization): the next retry applies.
    await kubeConfig(testEnv()).makeApiClient(ApiextensionsV1Api).createCustomResourceDefinition({ body: parse(gadgetCrd(group)) });
    await readyAt(ns, 'app', rev);
  });
});
