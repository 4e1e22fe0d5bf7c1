import { Reason } from '@eddy/api';
import { CoreV1Api, CustomObjectsApi, type CoreV1Event, type KubeConfig } from '@kubernetes/client-node';
import { installWidgetCrd, kubeConfig, testEnv, testNamespace, type Widget } from '@eddy/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { EventForwarder } from '../../src/events/forwarder.ts';
import { EventRecorder, EventType, eventMetadata, type InvolvedObject } from '../../src/events/recorder.ts';
import { captureLogger, startReceiver } from './helpers.ts';

describe('eventMetadata', () => {
  const obj: InvolvedObject = {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    metadata: { name: 'repo', namespace: 'flux-system', annotations: { 'event.toolkit.fluxcd.io/team': 'platform', 'other.io/x': 'no' } },
  };
  const cases: { name: string; given: Record<string, string> | undefined; want: Record<string, string> }[] = [
    { name: 'object event annotations only', given: undefined, want: { 'event.toolkit.fluxcd.io/team': 'platform' } },
    {
      name: 'bare keys get the API group',
      given: { revision: 'main@sha1:abc', token: 't' },
      want: { 'event.toolkit.fluxcd.io/team': 'platform', 'source.toolkit.fluxcd.io/revision': 'main@sha1:abc', 'source.toolkit.fluxcd.io/token': 't' },
    },
    {
      name: 'prefixed keys pass through and win',
      given: { 'source.toolkit.fluxcd.io/revision': 'r', 'event.toolkit.fluxcd.io/team': 'apps' },
      want: { 'event.toolkit.fluxcd.io/team': 'apps', 'source.toolkit.fluxcd.io/revision': 'r' },
    },
  ];
  it.each(cases)('$name', ({ given, want }) => {
    expect(eventMetadata(obj, given)).toEqual(want);
  });
});

const controller = 'test-controller';
const instance = 'test-controller-0';

describe('EventRecorder on the cluster', () => {
  let kc: KubeConfig;
  let core: CoreV1Api;
  let custom: CustomObjectsApi;

  beforeAll(async () => {
    kc = kubeConfig(testEnv());
    core = kc.makeApiClient(CoreV1Api);
    custom = kc.makeApiClient(CustomObjectsApi);
    await installWidgetCrd(kc);
  });

  async function createWidget(namespace: string, name: string, annotations?: Record<string, string>): Promise<Widget & { metadata: { uid: string } }> {
    const body: Widget = { apiVersion: 'test.eddy.dev/v1', kind: 'Widget', metadata: { name, namespace, ...(annotations ? { annotations } : {}) }, spec: {} };
    return (await custom.createNamespacedCustomObject({ group: 'test.eddy.dev', version: 'v1', namespace, plural: 'widgets', body })) as Widget & { metadata: { uid: string } };
  }

  async function eventsOf(namespace: string, name: string): Promise<CoreV1Event[]> {
    const list = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` });
    return list.items.sort((a, b) => (a.message ?? '').localeCompare(b.message ?? ''));
  }

  it('creates an Event with reason, type, source and metadata annotations, and aggregates repeats', async () => {
    const ns = await testNamespace(testEnv(), 'events');
    const w = await createWidget(ns, 'w1', { 'event.toolkit.fluxcd.io/team': 'platform' });
    const { logger, lines } = captureLogger();
    const recorder = new EventRecorder({ kubeConfig: kc, controller, instance, logger });

    recorder.record(w, EventType.Normal, Reason.ReconciliationSucceeded, 'Applied revision: main@sha1:abc', { revision: 'main@sha1:abc' });
    await recorder.flush();
    let events = await eventsOf(ns, 'w1');
    expect(events).toHaveLength(1);
    const first = events[0]!;
    expect({
      type: first.type,
      reason: first.reason,
      message: first.message,
      count: first.count,
      source: first.source,
      reportingComponent: first.reportingComponent,
      reportingInstance: first.reportingInstance,
      annotations: first.metadata.annotations,
      involvedObject: first.involvedObject,
    }).toEqual({
      type: 'Normal',
      reason: 'ReconciliationSucceeded',
      message: 'Applied revision: main@sha1:abc',
      count: 1,
      source: { component: controller },
      reportingComponent: controller,
      reportingInstance: instance,
      annotations: { 'event.toolkit.fluxcd.io/team': 'platform', 'test.eddy.dev/revision': 'main@sha1:abc' },
      involvedObject: { apiVersion: 'test.eddy.dev/v1', kind: 'Widget', name: 'w1', namespace: ns, uid: w.metadata.uid, resourceVersion: w.metadata.resourceVersion },
    });

    // The same event again: the existing Event counts it.
    recorder.record(w, EventType.Normal, Reason.ReconciliationSucceeded, 'Applied revision: main@sha1:abc', { revision: 'main@sha1:abc' });
    await recorder.flush();
    events = await eventsOf(ns, 'w1');
    expect(events).toHaveLength(1);
    expect(events[0]?.metadata.name).toBe(first.metadata.name);
    expect(events[0]?.count).toBe(2);
    expect(events[0]?.lastTimestamp?.getTime()).toBeGreaterThanOrEqual(first.lastTimestamp?.getTime() ?? Infinity);

    // A different message is a different Event; a Warning's message loses URL credentials.
    recorder.record(w, EventType.Warning, Reason.GitOperationFailed, 'clone https://user:s3cret@git.example.com/r.git failed');
    await recorder.flush();
    events = await eventsOf(ns, 'w1');
    expect(events.map((e) => [e.type, e.reason, e.message, e.count])).toEqual([
      ['Normal', 'ReconciliationSucceeded', 'Applied revision: main@sha1:abc', 2],
      ['Warning', 'GitOperationFailed', 'clone https://git.example.com/r.git failed', 1],
    ]);
    expect(lines()).toEqual([]);
  });

  it('aggregates repeats recorded back to back (writes of one event are ordered)', async () => {
    const ns = await testNamespace(testEnv(), 'events');
    const w = await createWidget(ns, 'w2');
    const { logger } = captureLogger();
    const recorder = new EventRecorder({ kubeConfig: kc, controller, instance, logger });
    for (let i = 0; i < 3; i++) recorder.record(w, EventType.Normal, Reason.Progressing, 'working');
    await recorder.flush();
    expect((await eventsOf(ns, 'w2')).map((e) => e.count)).toEqual([3]);
  });

  it('creates a new Event once the aggregation window has passed', async () => {
    const ns = await testNamespace(testEnv(), 'events');
    const w = await createWidget(ns, 'w3');
    const { logger } = captureLogger();
    let now = new Date('2025-01-01T00:00:00Z');
    const recorder = new EventRecorder({ kubeConfig: kc, controller, instance, logger, aggregationWindowMs: 60_000, now: () => now });
    recorder.record(w, EventType.Normal, Reason.Progressing, 'working');
    await recorder.flush();
    now = new Date('2025-01-01T00:02:00Z');
    recorder.record(w, EventType.Normal, Reason.Progressing, 'working');
    await recorder.flush();
    expect((await eventsOf(ns, 'w3')).map((e) => e.count)).toEqual([1, 1]);
  });

  it('logs instead of throwing when the Event cannot be written', async () => {
    const { logger, lines } = captureLogger();
    const recorder = new EventRecorder({ kubeConfig: kc, controller, instance, logger });
    const ghost: InvolvedObject = { apiVersion: 'test.eddy.dev/v1', kind: 'Widget', metadata: { name: 'ghost', namespace: 'no-such-namespace-eddy' } };
    expect(() => recorder.record(ghost, EventType.Normal, Reason.Progressing, 'x')).not.toThrow();
    expect(() => recorder.record({ apiVersion: 'v1', kind: 'Widget', metadata: {} }, EventType.Normal, Reason.Progressing, 'x')).not.toThrow();
    await recorder.flush();
    expect(lines().map((l) => l['msg']).sort()).toEqual(['unable to record event', 'unable to write event']);
  });

  it('forwards info and error events with Flux payload, but not trace events', async () => {
    const ns = await testNamespace(testEnv(), 'events');
    const w = await createWidget(ns, 'w4', { 'event.toolkit.fluxcd.io/team': 'platform' });
    const rx = await startReceiver();
    const { logger, lines } = captureLogger();
    const forwarder = new EventForwarder({ address: rx.url, logger });
    const now = new Date('2025-03-04T05:06:07.890Z');
    const recorder = new EventRecorder({ kubeConfig: kc, controller, instance, logger, forwarder, now: () => now });

    recorder.record(w, EventType.Trace, Reason.Progressing, 'detail');
    recorder.record(w, EventType.Normal, Reason.ReconciliationSucceeded, 'Applied revision: main@sha1:abc', { revision: 'main@sha1:abc' });
    recorder.record(w, EventType.Warning, Reason.BuildFailed, 'build failed');
    await recorder.flush();
    await forwarder.flush();

    const involvedObject = { apiVersion: 'test.eddy.dev/v1', kind: 'Widget', name: 'w4', namespace: ns, uid: w.metadata.uid };
    expect(rx.received.map((r) => r.body)).toEqual([
      {
        involvedObject,
        severity: 'info',
        timestamp: '2025-03-04T05:06:07Z',
        message: 'Applied revision: main@sha1:abc',
        reason: 'ReconciliationSucceeded',
        metadata: { 'event.toolkit.fluxcd.io/team': 'platform', 'test.eddy.dev/revision': 'main@sha1:abc' },
        reportingController: controller,
        reportingInstance: instance,
      },
      {
        involvedObject,
        severity: 'error',
        timestamp: '2025-03-04T05:06:07Z',
        message: 'build failed',
        reason: 'BuildFailed',
        metadata: { 'event.toolkit.fluxcd.io/team': 'platform' },
        reportingController: controller,
        reportingInstance: instance,
      },
    ]);
    // The trace event is still a (Normal) Kubernetes event.
    expect((await eventsOf(ns, 'w4')).map((e) => [e.type, e.reason])).toEqual([
      ['Normal', 'ReconciliationSucceeded'],
      ['Warning', 'BuildFailed'],
      ['Normal', 'Progressing'],
    ]);
    expect(lines()).toEqual([]);
  });
});
