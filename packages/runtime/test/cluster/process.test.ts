// Controller processes on the real cluster: leader election between two replicas (failover
// after SIGKILL) and graceful shutdown on SIGTERM (in-flight reconciles finish, exit 0, the
// Lease is released). The processes run test/fixtures/widget-main.ts, a real main.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoordinationV1Api, CustomObjectsApi, type V1Lease } from '@kubernetes/client-node';
import { eventually, installWidgetCrd, kubeConfig, testEnv, testNamespace, type Widget } from '@eddy/testkit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const main = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'fixtures', 'widget-main.ts');
const group = 'test.eddy.dev';
const version = 'v1';
const plural = 'widgets';
const leaseName = 'widget-controller-leader-election';

/** A controller process and the JSON lines it logged. */
interface ControllerProcess {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  exit: Promise<number | null>;
  identity: () => string | undefined;
}

let processes: ControllerProcess[] = [];
afterEach(() => {
  for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  processes = [];
});

beforeAll(async () => {
  await installWidgetCrd(kubeConfig(testEnv()));
});

function startController(namespace: string, extra: string[] = []): ControllerProcess {
  const env = testEnv();
  const child = spawn(
    process.execPath,
    [
      main,
      `--kubeconfig=${env.kubeconfig}`,
      '--watch-all-namespaces=false',
      `--runtime-namespace=${namespace}`,
      '--metrics-addr=127.0.0.1:0',
      '--health-addr=127.0.0.1:0',
      '--log-level=debug',
      ...extra,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: Record<string, unknown>[] = [];
  let buffer = '';
  child.stderr!.on('data', (b: Buffer) => {
    buffer += b.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    for (const l of parts) {
      try {
        lines.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        lines.push({ msg: l });
      }
    }
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const p: ControllerProcess = {
    child,
    lines,
    exit,
    identity: () => lines.find((l) => l['msg'] === 'starting manager')?.['identity'] as string | undefined,
  };
  processes.push(p);
  return p;
}

const leaderFlags = (leaseSeconds: number): string[] => [
  '--enable-leader-election',
  `--leader-election-lease-duration=${leaseSeconds}s`,
  `--leader-election-renew-deadline=${leaseSeconds - 1}s`,
  '--leader-election-retry-period=500ms',
];

async function lease(namespace: string): Promise<V1Lease | undefined> {
  const api = kubeConfig(testEnv()).makeApiClient(CoordinationV1Api);
  return await api.readNamespacedLease({ name: leaseName, namespace }).catch(() => undefined);
}

async function createWidget(namespace: string, name: string, spec: Widget['spec'] = {}): Promise<void> {
  await kubeConfig(testEnv())
    .makeApiClient(CustomObjectsApi)
    .createNamespacedCustomObject({ group, version, plural, namespace, body: { apiVersion: `${group}/${version}`, kind: 'Widget', metadata: { name }, spec } });
}

async function conditionOf(namespace: string, name: string, type: string): Promise<string | undefined> {
  const w = (await kubeConfig(testEnv()).makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ group, version, plural, namespace, name })) as Widget;
  return w.status?.conditions?.find((c) => c.type === type)?.status;
}

const readyOf = (namespace: string, name: string): Promise<string | undefined> => conditionOf(namespace, name, 'Ready');

const reconciledBy = (p: ControllerProcess, name: string): boolean => p.lines.some((l) => l['name'] === name && typeof l['reconcileID'] === 'string');

describe('controller processes', () => {
  it('reconciles only on the leader, and the other replica takes over within the lease duration after SIGKILL', async () => {
    const ns = await testNamespace(testEnv(), 'leader');
    const leaseSeconds = 4;
    const a = startController(ns, leaderFlags(leaseSeconds));
    const b = startController(ns, leaderFlags(leaseSeconds));
    const holder = await eventually(async () => {
      const h = (await lease(ns))?.spec?.holderIdentity;
      if (!h || !a.identity() || !b.identity()) throw new Error('no leader yet');
      return h;
    }, { description: 'a leader' });
    const [leader, follower] = holder === a.identity() ? [a, b] : [b, a];
    expect(holder).toBe(leader.identity());

    await createWidget(ns, 'first');
    await eventually(async () => expect(await readyOf(ns, 'first')).toBe('True'), { description: 'first Ready' });
    await eventually(() => expect(reconciledBy(leader, 'first')).toBe(true), { description: 'the leader logged reconciling first' });
    expect(reconciledBy(follower, 'first')).toBe(false);

    const killedAt = Date.now();
    leader.child.kill('SIGKILL');
    await leader.exit;
    const takeover = await eventually(async () => {
      const l = await lease(ns);
      expect(l?.spec?.holderIdentity).toBe(follower.identity());
      return Date.now() - killedAt;
    }, { timeoutMs: 20_000, intervalMs: 100, description: 'follower takes the Lease' });
    // Within the lease duration after the last renewal, plus a retry period or two.
    expect(takeover).toBeLessThanOrEqual((leaseSeconds + 1.5) * 1000);
    expect((await lease(ns))?.spec?.leaseTransitions).toBeGreaterThanOrEqual(1);

    await createWidget(ns, 'second');
    await eventually(async () => expect(await readyOf(ns, 'second')).toBe('True'), { description: 'second Ready' });
    // The status is written before the "reconciliation finished" line is logged, so the line
    // may reach us just after Ready does.
    await eventually(() => expect(reconciledBy(follower, 'second')).toBe(true), { description: 'the follower logged reconciling second' });
  });

  it('on SIGTERM finishes in-flight reconciles, exits 0 and releases the Lease', async () => {
    const ns = await testNamespace(testEnv(), 'sigterm');
    const p = startController(ns, leaderFlags(10));
    await eventually(async () => expect((await lease(ns))?.spec?.holderIdentity).toBe(p.identity()), { description: 'leader' });
    await createWidget(ns, 'slow', { workMs: 5000 });
    await eventually(() => expect(p.lines.some((l) => l['name'] === 'slow' && l['msg'] === 'working for 5000ms')).toBe(true), { description: 'reconcile in flight' });
    await eventually(async () => expect(await conditionOf(ns, 'slow', 'Reconciling')).toBe('True'), { description: 'Reconciling=True' });

    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
    expect(await readyOf(ns, 'slow')).toBe('True');
    const released = await lease(ns);
    expect(released?.spec?.holderIdentity ?? '', JSON.stringify(p.lines.filter((l) => l['level'] === 'error'))).toBe('');
    expect(p.lines.map((l) => l['msg'])).toEqual(expect.arrayContaining(['shutting down: no new work; waiting for in-flight reconciles', 'shutdown complete']));
  });
});
