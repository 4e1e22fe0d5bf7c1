import { PassThrough } from 'node:stream';
import { parseDuration } from '@eddy/api';
import { ObjectClient, createLogger } from '@eddy/runtime';
import { eventually, installWidgetCrd, kubeConfig, runCommand, testEnv, testNamespace, uniqueName } from '@eddy/testkit';
import { describe, expect, test } from 'vitest';
import type { ChangeSet } from '../../src/apply/change-set.ts';
import { ApplyError, ImmutableFieldError, MissingKindError } from '../../src/apply/errors.ts';
import type { KubeObject } from '../../src/apply/object.ts';
import { ResourceManager } from '../../src/apply/resource-manager.ts';

const env = testEnv();
const kc = kubeConfig(env);
const client = new ObjectClient(kc);
const owner = { 'kustomize.toolkit.fluxcd.io/name': 'apps', 'kustomize.toolkit.fluxcd.io/namespace': 'flux-system' };

function manager(): ResourceManager {
  return new ResourceManager({ kubeConfig: kc, fieldManager: 'kustomize-controller', logger: createLogger({ level: 'error', encoding: 'json', name: 'test', stream: new PassThrough() }), ownerLabels: owner });
}

function deployment(ns: string, opts: { replicas?: number; image?: string; annotations?: Record<string, string>; app?: string } = {}): KubeObject {
  const app = opts.app ?? 'web';
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: ns, ...(opts.annotations ? { annotations: opts.annotations } : {}) },
    spec: {
      replicas: opts.replicas ?? 2,
      selector: { matchLabels: { app } },
      template: { metadata: { labels: { app } }, spec: { containers: [{ name: 'web', image: opts.image ?? 'nginx:1.27' }] } },
    },
  };
}

function configMap(ns: string, data: Record<string, string>, annotations?: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: ns, ...(annotations ? { annotations } : {}) }, data };
}

function service(ns: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: ns }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } };
}

async function live(obj: KubeObject): Promise<KubeObject> {
  return await client.get(obj, AbortSignal.timeout(10_000));
}

async function kubectl(...args: string[]): Promise<string> {
  return await runCommand(env.tools.kubectl, ['--kubeconfig', env.kubeconfig, ...args], { timeoutMs: 30_000 });
}

const spec = (o: KubeObject): Record<string, unknown> => o['spec'] as Record<string, unknown>;

describe('ResourceManager on the real cluster', () => {
  test('a Secret with stringData is applied as data, and is unchanged on the next apply', async () => {
    const ns = await testNamespace(env, 'ssa-secret');
    const rm = manager();
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: ns }, data: { user: Buffer.from('old').toString('base64'), keep: Buffer.from('k').toString('base64') }, stringData: { user: 'admin', token: 'tök' } };
    expect((await rm.applyAll([secret])).logLines()).toEqual([`Secret/${ns}/creds created`]);
    expect((await rm.applyAll([secret])).logLines()).toEqual([`Secret/${ns}/creds unchanged`]);
    const stored = await client.find<{ data: Record<string, string> }>({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: ns } });
    const decoded = Object.fromEntries(Object.entries(stored?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    expect(decoded).toEqual({ user: 'admin', token: 'tök', keep: 'k' });
  });

  test('create, configure, then unchanged without a write', async () => {
    const ns = await testNamespace(env, 'ssa-cycle');
    const rm = manager();
    const objs = [deployment(ns), configMap(ns, { a: '1' }), service(ns)];

    const first = await rm.applyAll(objs);
    expect(first.entries.map((e) => ({ subject: e.subject, action: e.action }))).toEqual([
      { subject: `Deployment/${ns}/web`, action: 'created' },
      { subject: `ConfigMap/${ns}/settings`, action: 'created' },
      { subject: `Service/${ns}/web`, action: 'created' },
    ]);
    expect(first.toString()).toBe(`Deployment/${ns}/web created\nConfigMap/${ns}/settings created\nService/${ns}/web created`);

    const changed = [deployment(ns, { image: 'nginx:1.28' }), configMap(ns, { a: '1' }), service(ns)];
    expect(await rm.diff(changed[0]!)).toEqual({ subject: `Deployment/${ns}/web`, action: 'configured', changedPaths: ['/spec/template/spec/containers/0/image'] });
    const second = await rm.applyAll(changed);
    expect(second.logLines()).toEqual([`Deployment/${ns}/web configured`, `ConfigMap/${ns}/settings unchanged`, `Service/${ns}/web unchanged`]);

    // A Deployment's status (and so its resourceVersion) moves with its rollout; what our
    // writes would change is its generation and our managedFields entry. The other objects
    // have no controller: their resourceVersion is exact.
    const ours = (o: KubeObject): unknown => [o.metadata['generation'], o.metadata.managedFields?.find((f) => f.manager === 'kustomize-controller')];
    const before = await Promise.all(changed.map(live));
    const third = await rm.applyAll(changed);
    expect(third.logLines()).toEqual([`Deployment/${ns}/web unchanged`, `ConfigMap/${ns}/settings unchanged`, `Service/${ns}/web unchanged`]);
    const after = await Promise.all(changed.map(live));
    expect(after.slice(1).map((o) => o.metadata.resourceVersion)).toEqual(before.slice(1).map((o) => o.metadata.resourceVersion));
    expect(ours(after[0]!)).toEqual(ours(before[0]!));
    expect(await rm.diff(changed[1]!)).toEqual({ subject: `ConfigMap/${ns}/settings`, action: 'unchanged' });
  });

  test('stamps the owner labels on every applied object', async () => {
    const ns = await testNamespace(env, 'ssa-owner');
    await manager().apply(configMap(ns, { a: '1' }));
    expect((await live(configMap(ns, {}))).metadata.labels).toEqual(owner);
  });

  test('reverts kubectl scale and removes a label kubectl added', async () => {
    const ns = await testNamespace(env, 'ssa-kubectl');
    const rm = manager();
    const obj = deployment(ns);
    await rm.apply(obj);
    await kubectl('-n', ns, 'scale', 'deployment', 'web', '--replicas=5');
    await kubectl('-n', ns, 'label', 'deployment', 'web', 'edited=true');
    await kubectl('-n', ns, 'patch', 'deployment', 'web', '--field-manager=kubectl-edit', '--type=merge', '-p', '{"metadata":{"labels":{"patched":"yes"}}}');
    expect(spec(await live(obj))['replicas']).toBe(5);

    const entry = await rm.apply(obj);
    expect(entry.action).toBe('configured');
    const reverted = await live(obj);
    expect(spec(reverted)['replicas']).toBe(2);
    expect(reverted.metadata.labels).toEqual(owner);
    expect(reverted.metadata.managedFields?.map((f) => `${f.manager}/${f.operation}`).filter((m) => m.startsWith('kubectl'))).toEqual([]);
    expect((await rm.apply(obj)).action).toBe('unchanged');
  });

  test('keeps kubectl changes to fields it does not set under ssa: Merge', async () => {
    const ns = await testNamespace(env, 'ssa-merge');
    const rm = manager();
    const obj = configMap(ns, { a: '1' }, { 'kustomize.toolkit.fluxcd.io/ssa': 'merge' });
    await rm.apply(obj);
    await kubectl('-n', ns, 'label', 'configmap', 'settings', 'edited=true');
    await kubectl('-n', ns, 'patch', 'configmap', 'settings', '--field-manager=kubectl-edit', '--type=merge', '-p', '{"data":{"b":"2"}}');
    expect((await rm.apply(obj)).action).toBe('unchanged');
    const kept = await live(obj);
    expect(kept.metadata.labels).toEqual({ ...owner, edited: 'true' });
    expect(kept['data']).toEqual({ a: '1', b: '2' });
  });

  test('leaves fields of flux-client-side-apply alone', async () => {
    const ns = await testNamespace(env, 'ssa-escape');
    const rm = manager();
    const obj = configMap(ns, { a: '1' });
    await rm.apply(obj);
    await kubectl('-n', ns, 'patch', 'configmap', 'settings', '--field-manager=flux-client-side-apply', '--type=merge', '-p', '{"data":{"b":"2"}}');
    expect((await rm.apply(obj)).action).toBe('unchanged');
    expect((await live(obj))['data']).toEqual({ a: '1', b: '2' });
  });

  test('IfNotPresent creates once then skips; Ignore never applies', async () => {
    const ns = await testNamespace(env, 'ssa-policy');
    const rm = manager();
    const ifNotPresent = configMap(ns, { a: '1' }, { 'kustomize.toolkit.fluxcd.io/ssa': 'IfNotPresent' });
    expect((await rm.apply(ifNotPresent)).action).toBe('created');
    await kubectl('-n', ns, 'patch', 'configmap', 'settings', '--type=merge', '-p', '{"data":{"a":"changed"}}');
    expect(await rm.apply({ ...ifNotPresent, data: { a: '2' } })).toEqual({ subject: `ConfigMap/${ns}/settings`, action: 'skipped' });
    expect((await live(ifNotPresent))['data']).toEqual({ a: 'changed' });

    const ignored: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ignored', namespace: ns, annotations: { 'kustomize.toolkit.fluxcd.io/ssa': 'IGNORE' } }, data: { a: '1' } };
    expect(await rm.apply(ignored)).toEqual({ subject: `ConfigMap/${ns}/ignored`, action: 'skipped' });
    await expect(live(ignored)).rejects.toMatchObject({ code: 404 });
  });

  test('an immutable field change fails clearly, and force recreates the object', async () => {
    const ns = await testNamespace(env, 'ssa-immutable');
    const rm = manager();
    await rm.apply(deployment(ns, { replicas: 1 }));
    const changed = deployment(ns, { replicas: 1, app: 'web2' });

    const err = await rm.apply(changed).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImmutableFieldError);
    expect((err as Error).message).toContain(`Deployment/${ns}/web dry-run failed`);
    expect((err as Error).message).toContain('field is immutable');
    expect((err as Error).message).toContain('spec.force');
    expect((err as Error).message).toContain('kustomize.toolkit.fluxcd.io/force: enabled');
    const uid = (await live(changed)).metadata.uid;

    expect(await rm.apply(changed, { force: true, timeout: parseDuration('1m') })).toMatchObject({ subject: `Deployment/${ns}/web`, action: 'created', object: { metadata: { name: 'web' } } });
    const recreated = await live(changed);
    expect(recreated.metadata.uid).not.toBe(uid);
    expect(spec(recreated)['selector']).toEqual({ matchLabels: { app: 'web2' } });

    // The annotation allows it too.
    const annotated = deployment(ns, { replicas: 1, app: 'web3', annotations: { 'kustomize.toolkit.fluxcd.io/force': 'Enabled' } });
    expect((await rm.apply(annotated, { timeout: parseDuration('1m') })).action).toBe('created');
    expect(spec(await live(annotated))['selector']).toEqual({ matchLabels: { app: 'web3' } });
  });

  test('a CRD and its custom resources apply in one staged call', async () => {
    const ns = await testNamespace(env, 'ssa-crd');
    const group = `${uniqueName('g')}.ssa.eddy.dev`;
    const crd: KubeObject = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `gadgets.${group}` },
      spec: {
        group,
        names: { kind: 'Gadget', listKind: 'GadgetList', plural: 'gadgets', singular: 'gadget' },
        scope: 'Namespaced',
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } } }],
      },
    };
    const gadget: KubeObject = { apiVersion: `${group}/v1`, kind: 'Gadget', metadata: { name: 'g1', namespace: ns }, spec: { size: 3 } };
    const storageClass: KubeObject = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: uniqueName('sc') }, provisioner: 'example.com/none' };
    const extraNs: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: uniqueName('ssa-staged') } };
    try {
      const changeSet = await manager().applyAllStaged([gadget, storageClass, crd, extraNs], { timeout: parseDuration('1m') });
      expect(changeSet.logLines()).toEqual([
        `CustomResourceDefinition/gadgets.${group} created`,
        `Namespace/${extraNs.metadata.name} created`,
        `StorageClass/${storageClass.metadata.name} created`,
        `Gadget/${ns}/g1 created`,
      ]);
      expect(spec(await live(gadget))).toEqual({ size: 3 });
    } finally {
      const signal = AbortSignal.timeout(10_000);
      await Promise.all([crd, storageClass, extraNs].map((o) => client.delete(o, 'Background', signal)));
    }
  });

  test('a custom resource whose CRD is missing fails with MissingKindError', async () => {
    const ns = await testNamespace(env, 'ssa-missing');
    const obj: KubeObject = { apiVersion: 'nothing.ssa.eddy.dev/v1', kind: 'Nothing', metadata: { name: 'n', namespace: ns } };
    const err = await manager().applyAll([obj]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingKindError);
    expect(err).toMatchObject({ kind: 'Nothing', apiVersion: 'nothing.ssa.eddy.dev/v1', subject: `Nothing/${ns}/n` });
    expect((err as Error).message).toContain('Nothing');
  });

  test('a Widget custom resource is applied and then unchanged', async () => {
    await installWidgetCrd(kc);
    const ns = await testNamespace(env, 'ssa-widget');
    const widget: KubeObject = { apiVersion: 'test.eddy.dev/v1', kind: 'Widget', metadata: { name: 'w', namespace: ns }, spec: { interval: '1m' } };
    const rm = manager();
    expect((await rm.applyAllStaged([widget])).logLines()).toEqual([`Widget/${ns}/w created`]);
    expect((await rm.applyAllStaged([widget])).logLines()).toEqual([`Widget/${ns}/w unchanged`]);
  });

  test('an invalid object fails naming the object and the field', async () => {
    const ns = await testNamespace(env, 'ssa-invalid');
    const bad = deployment(ns);
    spec(bad)['replicas'] = -1;
    const err = await manager().apply(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplyError);
    expect((err as Error).message).toMatch(new RegExp(`^Deployment/${ns}/web dry-run failed: .*spec\\.replicas`));

    const wrongType = deployment(ns);
    spec(wrongType)['replicas'] = 'x';
    const err2 = await manager().apply(wrongType).catch((e: unknown) => e);
    expect((err2 as Error).message).toMatch(new RegExp(`^Deployment/${ns}/web dry-run failed: .*spec\\.replicas`));
  });

  test('an invalid object in a batch writes nothing of the batch: new objects are not created, changed ones not changed', async () => {
    const ns = await testNamespace(env, 'ssa-batch');
    const rm = manager();
    await rm.applyAll([configMap(ns, { mode: 'v1' })]);
    const bad = deployment(ns);
    spec(bad)['replicas'] = -1;
    const err = await rm.applyAll([configMap(ns, { mode: 'v2' }), service(ns), bad], { concurrency: 1 }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(new RegExp(`^Deployment/${ns}/web dry-run failed: .*spec\\.replicas`));
    expect(await client.find(service(ns))).toBeUndefined();
    expect((await live(configMap(ns, {})))['data']).toEqual({ mode: 'v1' });
  });

  test('each change-set entry carries the object as the API server has it after the apply', async () => {
    const ns = await testNamespace(env, 'ssa-answers');
    const rm = manager();
    const first = await rm.applyAll([configMap(ns, { mode: 'v1' }), service(ns)]);
    const created = first.entries.map((e) => ({ action: e.action, uid: (e.object?.['metadata'] as { uid?: string } | undefined)?.uid }));
    expect(created).toEqual([
      { action: 'created', uid: (await live(configMap(ns, {}))).metadata.uid },
      { action: 'created', uid: (await live(service(ns))).metadata.uid },
    ]);
    // The Service's answer carries what the API server filled in.
    expect((first.entries[1]?.object?.['spec'] as { clusterIP?: string }).clusterIP).toMatch(/^10\.96\./);
    const second = await rm.applyAll([configMap(ns, { mode: 'v2' }), service(ns)]);
    expect(second.entries.map((e) => [e.action, e.object?.['data'] ?? (e.object?.['metadata'] as { name?: string }).name])).toEqual([
      ['configured', { mode: 'v2' }],
      ['unchanged', 'web'],
    ]);
  });

  test('applies many objects with bounded concurrency', async () => {
    const ns = await testNamespace(env, 'ssa-many');
    const objs = Array.from({ length: 12 }, (_, i): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: ns }, data: { i: String(i) } }));
    const changeSet: ChangeSet = await manager().applyAll(objs, { concurrency: 3 });
    expect(changeSet.entries.map((e) => e.action)).toEqual(objs.map(() => 'created'));
    await eventually(async () => expect((await live(objs[11]!))['data']).toEqual({ i: '11' }), { description: 'last ConfigMap applied' });
  });

  test('an aborted call stops', async () => {
    const ns = await testNamespace(env, 'ssa-abort');
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(manager().applyAll([configMap(ns, { a: '1' })], { signal: controller.signal })).rejects.toThrow();
  });
});
