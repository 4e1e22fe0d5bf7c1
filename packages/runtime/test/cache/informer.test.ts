import { beforeAll, describe, expect, it } from 'vitest';
import { eventually, installWidgetCrd, kubeConfig, testEnv, testNamespace } from '@eddy/testkit';
import { Widgets, captureLogger, recordEvents, summary, widgetInformer } from './informer-fixtures.ts';

const syncTimeout = (): AbortSignal => AbortSignal.timeout(30_000);

describe('Informer (real cluster)', () => {
  beforeAll(async () => {
    await installWidgetCrd(kubeConfig(testEnv()));
  });

  it('delivers add, update and delete, and its store mirrors the cluster', async () => {
    const env = testEnv();
    const kc = kubeConfig(env);
    const widgets = new Widgets(kc);
    const ns = await testNamespace(env, 'informer');
    await widgets.create(ns, 'before', { interval: '1m' });

    // All namespaces: other tests' Widgets come and go too, so the assertions look at ours.
    const { logger, lines } = captureLogger();
    const informer = widgetInformer(kc, logger);
    // A failing handler is logged and does not keep events from the others; a removed one gets none.
    informer.on('add', () => {
      throw new Error('handler bug');
    });
    let removedCalls = 0;
    const off = informer.on('update', () => removedCalls++);
    off();
    const events = recordEvents(informer, ns);
    expect(informer.hasSynced).toBe(false);
    informer.start();
    await informer.waitForSync(syncTimeout());
    expect(informer.hasSynced).toBe(true);
    expect(informer.healthy).toBe(true);
    expect(events).toEqual(['add before 1m']);

    await widgets.create(ns, 'a', { interval: '1m' });
    await widgets.create(ns, 'b', { interval: '1m' });
    await widgets.patch(ns, 'a', [{ op: 'replace', path: '/spec/interval', value: '2m' }]);
    await widgets.delete(ns, 'b');
    await widgets.delete(ns, 'before');

    await eventually(() => expect(events).toEqual(['add before 1m', 'add a 1m', 'add b 1m', 'update a 1m->2m', 'delete b 1m', 'delete before 1m']), {
      description: 'events of every change',
    });
    await eventually(async () => expect(summary(informer.list(ns))).toEqual(summary(await widgets.list(ns))), { description: 'store mirrors cluster' });
    expect(summary(informer.list(ns))).toHaveLength(1);
    expect(removedCalls).toBe(0);
    expect(lines.some((l) => l['msg'] === 'event handler failed' && l['error'] === 'handler bug' && l['event'] === 'add')).toBe(true);

    const a = informer.get(ns, 'a');
    expect(a?.spec).toEqual({ interval: '2m' });
    expect(a).toMatchObject({ apiVersion: 'test.eddy.dev/v1', kind: 'Widget' });
    // The cluster's copy has managedFields; the cache drops them.
    expect(Object.keys((await widgets.list(ns))[0]!.metadata)).toContain('managedFields');
    expect(Object.keys(a!.metadata)).not.toContain('managedFields');
    expect(informer.get(ns, 'b')).toBeUndefined();
  });

  it('sees only its namespace and the objects its label selector matches', async () => {
    const env = testEnv();
    const kc = kubeConfig(env);
    const widgets = new Widgets(kc);
    const [ns, other] = [await testNamespace(env, 'shard'), await testNamespace(env, 'shard-other')];
    await widgets.create(ns, 'in', { interval: '1m' }, { shard: 'a' });
    await widgets.create(ns, 'out', { interval: '1m' }, { shard: 'b' });
    await widgets.create(other, 'elsewhere', { interval: '1m' }, { shard: 'a' });

    const informer = widgetInformer(kc, captureLogger().logger, { namespace: ns, labelSelector: 'shard=a' });
    const events = recordEvents(informer);
    informer.start();
    await informer.waitForSync(syncTimeout());
    expect(summary(informer.list()).map((s) => s.split('@')[0])).toEqual([`${ns}/in`]);

    // An object that starts matching arrives as add; one that stops matching leaves as delete.
    await widgets.patch(ns, 'out', [{ op: 'replace', path: '/metadata/labels/shard', value: 'a' }]);
    await widgets.patch(ns, 'in', [{ op: 'replace', path: '/metadata/labels/shard', value: 'b' }]);
    await widgets.create(other, 'also-elsewhere', { interval: '1m' }, { shard: 'a' });
    await widgets.create(ns, 'new', { interval: '1m' }, { shard: 'a' });

    // The API server sends a DELETED carrying the last state that matched (shard a).
    await eventually(() => expect(events).toEqual(['add in 1m/a', 'add out 1m/a', 'delete in 1m/a', 'add new 1m/a']), { description: 'matching events only' });
    const matching = (await widgets.list(ns)).filter((w) => w.metadata.labels?.['shard'] === 'a');
    expect(summary(informer.list())).toEqual(summary(matching));
    expect(informer.list(other)).toEqual([]);
  });

  it('keeps indexes current as objects change', async () => {
    const env = testEnv();
    const kc = kubeConfig(env);
    const widgets = new Widgets(kc);
    const ns = await testNamespace(env, 'index');
    await widgets.create(ns, 'w1', { configMapName: 'x' });
    await widgets.create(ns, 'w2', { configMapName: 'x' });
    await widgets.create(ns, 'w3', { configMapName: 'y', serviceAccountName: 'sa' });

    const informer = widgetInformer(kc, captureLogger().logger, { namespace: ns });
    informer.addIndex('configMap', (w) => (w.spec.configMapName ? [w.spec.configMapName] : []));
    informer.start();
    await informer.waitForSync(syncTimeout());
    // An index added after the sync covers what the store already holds.
    informer.addIndex('serviceAccount', (w) => (w.spec.serviceAccountName ? [w.spec.serviceAccountName] : []));

    const names = (index: string, value: string): string[] => informer.byIndex(index, value).map((w) => w.metadata.name!).sort();
    expect({ x: names('configMap', 'x'), y: names('configMap', 'y'), sa: names('serviceAccount', 'sa') }).toEqual({ x: ['w1', 'w2'], y: ['w3'], sa: ['w3'] });

    await widgets.patch(ns, 'w2', [
      { op: 'replace', path: '/spec/configMapName', value: 'y' },
      { op: 'add', path: '/spec/serviceAccountName', value: 'sa' },
    ]);
    await eventually(
      () => expect({ x: names('configMap', 'x'), y: names('configMap', 'y'), sa: names('serviceAccount', 'sa') }).toEqual({ x: ['w1'], y: ['w2', 'w3'], sa: ['w2', 'w3'] }),
      { description: 'index after update' },
    );

    await widgets.delete(ns, 'w1');
    await widgets.delete(ns, 'w3');
    await eventually(() => expect({ x: names('configMap', 'x'), y: names('configMap', 'y'), sa: names('serviceAccount', 'sa') }).toEqual({ x: [], y: ['w2'], sa: ['w2'] }), {
      description: 'index after delete',
    });
  });

  it('rejects waitForSync when stopped first or when the signal aborts', async () => {
    const env = testEnv();
    const informer = widgetInformer(kubeConfig(env), captureLogger().logger, { namespace: 'no-such-namespace-needed' });
    await expect(informer.waitForSync(AbortSignal.abort(new Error('gave up')))).rejects.toThrow('gave up');
    const waiting = informer.waitForSync();
    informer.start();
    informer.stop();
    await expect(waiting).rejects.toThrow('stopped before it synced');
    expect(() => informer.start()).toThrow('already started');
  });
});
