import { eventually } from '@eddy/testkit';
import { describe, expect, it } from 'vitest';
import { EventForwarder, type FluxEvent } from '../../src/events/forwarder.ts';
import { captureLogger, closedPortUrl, startReceiver } from './helpers.ts';

function event(n: number): FluxEvent {
  return {
    involvedObject: { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', name: 'apps', namespace: 'flux-system', uid: 'u-1' },
    severity: 'info',
    timestamp: '2025-01-01T00:00:00Z',
    message: `event ${n}`,
    reason: 'ReconciliationSucceeded',
    metadata: { 'kustomize.toolkit.fluxcd.io/revision': 'main@sha1:abc' },
    reportingController: 'kustomize-controller',
    reportingInstance: 'kustomize-controller-0',
  };
}

describe('EventForwarder', () => {
  it('POSTs the event as JSON to the address', async () => {
    const rx = await startReceiver();
    const { logger, lines } = captureLogger();
    const fw = new EventForwarder({ address: rx.url, logger });
    fw.forward(event(1));
    await fw.flush();
    expect(rx.received).toEqual([{ method: 'POST', url: '/', contentType: 'application/json', body: event(1) }]);
    expect(lines()).toEqual([]);
  });

  it('retries after a 500 with the same payload', async () => {
    const rx = await startReceiver((n) => (n === 1 ? 500 : 200));
    const { logger, lines } = captureLogger();
    const fw = new EventForwarder({ address: rx.url, logger, backoffMs: 10 });
    fw.forward(event(1));
    await fw.flush();
    expect(rx.received.map((r) => r.body)).toEqual([event(1), event(1)]);
    expect(lines()).toEqual([]);
  });

  it('gives up after the retries and logs', async () => {
    const rx = await startReceiver(() => 503);
    const { logger, lines } = captureLogger();
    const fw = new EventForwarder({ address: rx.url, logger, backoffMs: 5, retries: 2 });
    fw.forward(event(1));
    await fw.flush();
    expect(rx.received).toHaveLength(3);
    expect(lines()).toMatchObject([{ level: 'error', msg: 'unable to forward event', reason: 'ReconciliationSucceeded', name: 'apps', namespace: 'flux-system' }]);
    expect(String(lines()[0]?.['error'])).toContain('503');
  });

  it.each([
    { status: 400, logged: 1 },
    { status: 429, logged: 0 },
  ])('does not retry a $status answer', async ({ status, logged }) => {
    const rx = await startReceiver(() => status);
    const { logger, lines } = captureLogger();
    const fw = new EventForwarder({ address: rx.url, logger, backoffMs: 5 });
    fw.forward(event(1));
    await fw.flush();
    expect(rx.received).toHaveLength(1);
    expect(lines()).toHaveLength(logged);
  });

  it('retries a connection failure, then gives up', async () => {
    const { logger, lines } = captureLogger();
    const fw = new EventForwarder({ address: await closedPortUrl(), logger, backoffMs: 5, retries: 1 });
    fw.forward(event(1));
    await fw.flush();
    expect(lines()).toMatchObject([{ level: 'error', msg: 'unable to forward event' }]);
    expect(String(lines()[0]?.['error'])).toContain('gave up after 2 attempts');
  });

  it('bounds each POST with the timeout', async () => {
    const rx = await startReceiver(() => 'hold');
    const { logger, lines } = captureLogger();
    const fw = new EventForwarder({ address: rx.url, logger, timeoutMs: 100, retries: 0 });
    fw.forward(event(1));
    await fw.flush();
    expect(rx.received).toHaveLength(1);
    expect(lines()).toMatchObject([{ level: 'error', msg: 'unable to forward event' }]);
  });

  it('keeps a bounded queue, dropping the oldest and logging', async () => {
    const rx = await startReceiver((n) => (n === 1 ? 'hold' : 200));
    const { logger, lines } = captureLogger();
    const fw = new EventForwarder({ address: rx.url, logger, queueSize: 2, timeoutMs: 500, retries: 0 });
    fw.forward(event(1));
    await eventually(() => expect(rx.received).toHaveLength(1), { timeoutMs: 5_000, description: 'the first POST arrives' });
    for (const n of [2, 3, 4]) fw.forward(event(n));
    // Event 1 is in flight (held until its timeout); 2 was dropped for 4.
    await fw.flush();
    expect(rx.received.map((r) => (r.body as FluxEvent).message)).toEqual(['event 1', 'event 3', 'event 4']);
    expect(lines().map((l) => l['msg'])).toEqual(['event queue full, dropping the oldest event', 'unable to forward event']);
  });

  it('close() cancels a backoff under way and drops the queue', async () => {
    const rx = await startReceiver(() => 500);
    const { logger } = captureLogger();
    const fw = new EventForwarder({ address: rx.url, logger, backoffMs: 600_000 });
    fw.forward(event(1));
    fw.forward(event(2));
    await eventually(() => expect(rx.received).toHaveLength(1), { timeoutMs: 5_000, description: 'the first POST arrives' });
    await fw.close();
    fw.forward(event(3));
    await fw.flush();
    expect(rx.received).toHaveLength(1);
  });

  it('refuses a malformed address at construction', () => {
    const { logger } = captureLogger();
    expect(() => new EventForwarder({ address: 'not a url', logger })).toThrow();
  });
});
