import { afterEach, describe, expect, it } from 'vitest';
import { Registry, Counter } from 'prom-client';
import { MetricsServer, ProbeServer, parseListenAddress } from '../../src/health/http-endpoint.ts';

describe('parseListenAddress', () => {
  it.each([
    [':8080', { host: undefined, port: 8080 }],
    ['127.0.0.1:9440', { host: '127.0.0.1', port: 9440 }],
    ['[::1]:0', { host: '::1', port: 0 }],
    ['0.0.0.0:9090', { host: '0.0.0.0', port: 9090 }],
  ])('%s', (addr, expected) => {
    expect(parseListenAddress(addr)).toEqual(expected);
  });

  it.each([['8080'], [':http'], [':70000']])('rejects %s', (addr) => {
    expect(() => parseListenAddress(addr)).toThrow(/invalid listen address/);
  });
});

describe('probe and metrics servers', () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(stops.map((s) => s()));
    stops.length = 0;
  });

  it('answers /healthz and /readyz from their checks, naming the failing ones', async () => {
    const probes = new ProbeServer();
    let synced = false;
    probes.liveness.set('ping', () => undefined);
    probes.readiness.set('informers', () => (synced ? undefined : 'not synced: GitRepository'));
    const addr = await probes.start('127.0.0.1:0');
    stops.push(() => probes.stop());
    const get = async (path: string): Promise<[number, string]> => {
      const res = await fetch(`http://${addr}${path}`);
      return [res.status, await res.text()];
    };
    expect(await get('/healthz')).toEqual([200, 'ok']);
    expect(await get('/readyz')).toEqual([500, 'informers: not synced: GitRepository\n']);
    synced = true;
    expect(await get('/readyz')).toEqual([200, 'ok']);
    expect((await get('/other'))[0]).toBe(404);
  });

  it('serves the registry at /metrics', async () => {
    const registry = new Registry();
    new Counter({ name: 'gotk_test_total', help: 'a test counter', registers: [registry] }).inc(3);
    const server = new MetricsServer(registry);
    const addr = await server.start('127.0.0.1:0');
    stops.push(() => server.stop());
    const res = await fetch(`http://${addr}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('gotk_test_total 3');
  });
});
