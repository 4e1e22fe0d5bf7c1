// The informer survives its API server going away: it reports the failure, turns unhealthy,
// retries with backoff, and recovers by itself when the API server is back. This breaks the
// cluster, so it runs against an environment of its own.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, installWidgetCrd, kubeConfig, testNamespace, uniqueName, type EnvInfo } from '@eddy/testkit';
import { repoRoot, startComponent, startEnvironment, stopComponent, stopEnvironment } from '@eddy/testkit/env';
import { Widgets, captureLogger, recordEvents, summary, widgetInformer } from './informer-fixtures.ts';

describe('Informer when the API server restarts', () => {
  const stateDir = join(repoRoot(), '.eddy', 'test-env', uniqueName('informer-restart'));
  let env: EnvInfo;

  beforeAll(async () => {
    env = await startEnvironment({ stateDir, log: () => undefined });
    await installWidgetCrd(kubeConfig(env));
  });

  afterAll(async () => {
    await stopEnvironment(stateDir);
    await rm(stateDir, { recursive: true, force: true });
  });

  it('reports the outage, turns unhealthy, and recovers by itself', async () => {
    const kc = kubeConfig(env);
    const widgets = new Widgets(kc);
    const ns = await testNamespace(env, 'restart');
    const errors: Error[] = [];
    const health: boolean[] = [];
    const { logger, lines } = captureLogger();
    // A short cap keeps the test quick; the schedule is the default's otherwise.
    const informer = widgetInformer(kc, logger, {
      namespace: ns,
      backoff: { maxMs: 2000 },
      onError: (err) => errors.push(err),
      onHealthChange: (healthy) => health.push(healthy),
    });
    const events = recordEvents(informer);
    informer.start();
    await informer.waitForSync(AbortSignal.timeout(30_000));
    await widgets.create(ns, 'before', { interval: '1m' });
    await widgets.create(ns, 'doomed', { interval: '1m' });
    await eventually(() => expect(events).toEqual(['add before 1m', 'add doomed 1m']), { description: 'events before the outage' });
    expect(health).toEqual([true]);

    await stopComponent(stateDir, 'kube-apiserver');
    await eventually(
      () => {
        expect(informer.healthy).toBe(false);
        expect(errors.length).toBeGreaterThan(0);
      },
      { description: 'outage reported' },
    );
    expect(health).toEqual([true, false]);
    expect(errors[0]!.message).toMatch(/^(watch|list) \/apis\/test\.eddy\.dev\/v1\/namespaces\/restart-[0-9a-f]+\/widgets: /);
    expect(lines.some((l) => l['level'] === 'error' && l['msg'] === 'list/watch failed; retrying' && typeof l['error'] === 'string')).toBe(true);

    await startComponent(stateDir, 'kube-apiserver');
    await eventually(() => expect(informer.healthy).toBe(true), { description: 'informer healthy again', timeoutMs: 60_000 });

    await widgets.create(ns, 'after', { interval: '1m' });
    await widgets.patch(ns, 'before', [{ op: 'replace', path: '/spec/interval', value: '2m' }]);
    await widgets.delete(ns, 'doomed');
    await eventually(
      () => expect(events).toEqual(['add before 1m', 'add doomed 1m', 'add after 1m', 'update before 1m->2m', 'delete doomed 1m']),
      { description: 'events after the restart' },
    );
    expect(summary(informer.list())).toEqual(summary(await widgets.list(ns)));
    expect(health.at(-1)).toBe(true);
  });
});
