// 410 Gone: when the informer's resourceVersion has been compacted away, it relists and turns
// the difference into events. The environment is its own: its API server reads watches
// straight from etcd (no watch cache) and never compacts by itself, so the test decides when
// history disappears, and compacts etcd through its HTTP gateway.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Watch } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, installWidgetCrd, kubeConfig, testNamespace, uniqueName, type EnvInfo } from '@eddy/testkit';
import { repoRoot, startEnvironment, stopEnvironment } from '@eddy/testkit/env';
import { Widgets, captureLogger, recordEvents, summary, widgetInformer } from './informer-fixtures.ts';

/** Calls etcd's v3 HTTP gateway. */
async function etcd<T>(env: EnvInfo, method: 'range' | 'compaction', body: unknown): Promise<T> {
  const res = await fetch(`${env.kube.etcd}/v3/kv/${method}`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`etcd ${method}: HTTP ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

/** Compacts etcd's whole history up to its current revision; returns that revision. */
async function compactEtcd(env: EnvInfo): Promise<string> {
  const { header } = await etcd<{ header: { revision: string } }>(env, 'range', { key: Buffer.from('/').toString('base64'), count_only: true });
  await etcd(env, 'compaction', { revision: header.revision, physical: true });
  return header.revision;
}

/** What a plain watch from `resourceVersion` gets: the HTTP status or ERROR event code, or 200 when it streams. */
async function watchStatus(env: EnvInfo, path: string, resourceVersion: string): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    let request: AbortController | undefined;
    const settle = (code: number): void => {
      request?.abort();
      resolve(code);
    };
    new Watch(kubeConfig(env))
      .watch(
        path,
        { resourceVersion },
        (type, obj: { code?: number }) => settle(type === 'ERROR' ? (obj.code ?? 0) : 200),
        (err: { statusCode?: number } | null) => settle(err?.statusCode ?? 200),
      )
      .then((c) => (request = c), reject);
  });
}

describe('Informer on 410 Gone', () => {
  const stateDir = join(repoRoot(), '.eddy', 'test-env', uniqueName('informer-relist'));
  let env: EnvInfo;

  beforeAll(async () => {
    env = await startEnvironment({
      stateDir,
      log: () => undefined,
      extraArgs: { 'kube-apiserver': ['--watch-cache=false', '--etcd-compaction-interval=0'] },
    });
    await installWidgetCrd(kubeConfig(env));
  });

  afterAll(async () => {
    await stopEnvironment(stateDir);
    await rm(stateDir, { recursive: true, force: true });
  });

  it('relists when its resourceVersion was compacted, and delivers the difference as events', async () => {
    const kc = kubeConfig(env);
    const widgets = new Widgets(kc);
    const ns = await testNamespace(env, 'relist');
    const errors: Error[] = [];
    const { logger, lines } = captureLogger();
    const informer = widgetInformer(kc, logger, { namespace: ns, onError: (err) => errors.push(err) });
    const events = recordEvents(informer);
    informer.start();
    await informer.waitForSync(AbortSignal.timeout(30_000));
    for (const name of ['keep', 'change', 'gone']) await widgets.create(ns, name, { interval: '1m' });
    await eventually(() => expect(events).toEqual(['add keep 1m', 'add change 1m', 'add gone 1m']), { description: 'events before the pause' });
    const seen = informer.resourceVersion;

    // While the informer is not watching: two updates, a delete, a create; then history goes.
    informer.pauseWatch();
    await widgets.patch(ns, 'change', [{ op: 'replace', path: '/spec/interval', value: '2m' }]);
    await widgets.patch(ns, 'change', [{ op: 'replace', path: '/spec/interval', value: '3m' }]);
    await widgets.delete(ns, 'gone');
    await widgets.create(ns, 'new', { interval: '1m' });
    await compactEtcd(env);
    // The informer's resourceVersion is really gone: a plain watch from it gets 410.
    const path = `/apis/test.eddy.dev/v1/namespaces/${ns}/widgets`;
    expect(await watchStatus(env, path, seen)).toBe(410);

    events.length = 0;
    informer.resumeWatch();
    // One update for two changes: these come from the relist's diff, not from watch events.
    await eventually(() => expect(events).toEqual(['add new 1m', 'update change 1m->3m', 'delete gone 1m']), { description: 'events from the relist' });
    expect(summary(informer.list())).toEqual(summary(await widgets.list(ns)));
    expect(lines.filter((l) => l['msg'] === 'resourceVersion too old; relisting').map((l) => l['resourceVersion'])).toEqual([seen]);
    // A 410 is routine, not a failure.
    expect(errors).toEqual([]);
    expect(informer.healthy).toBe(true);

    // And it keeps watching from the relist.
    await widgets.patch(ns, 'keep', [{ op: 'replace', path: '/spec/interval', value: '5m' }]);
    await eventually(() => expect(events.at(-1)).toBe('update keep 1m->5m'), { description: 'watch after the relist' });
  });
});
