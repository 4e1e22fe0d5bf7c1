import { Writable } from 'node:stream';
import { CoordinationV1Api, KubeConfig, V1MicroTime } from '@kubernetes/client-node';
import type { V1Lease } from '@kubernetes/client-node';
import { eventually, kubeConfig, testEnv, testNamespace, uniqueName } from '@eddy/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createLogger } from '../../src/logging/logger.ts';
import { LeaderElector, leaderElectionDefaults, leaderElectionIdentity } from '../../src/leader/leader-election.ts';
import type { LeaderElectionOptions } from '../../src/leader/leader-election.ts';

/** Short timings so takeovers happen within a test: lease 2 s, renew 1.5 s, retry 0.3 s. */
const timings = { leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 300 };
const microTimePattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** Log lines of every elector of a test, shown when an assertion fails. */
function testLogger(lines: string[]) {
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString().trimEnd());
      done();
    },
  });
  return createLogger({ level: 'debug', encoding: 'console', name: 'leader-election-test', stream });
}

/** One running candidate and what its callbacks saw. */
interface Candidate {
  identity: string;
  elector: LeaderElector;
  stop: AbortController;
  done: Promise<void>;
  newLeaders: string[];
  startedAt: number | undefined;
  stoppedAt: number | undefined;
  stops: number;
  leadingSignal: AbortSignal | undefined;
}

/** Tracks how many candidates lead at once across a test. */
interface Tally {
  leading: number;
  maxLeading: number;
}

function startCandidate(
  kc: KubeConfig,
  namespace: string,
  name: string,
  identity: string,
  tally: Tally,
  lines: string[],
  extra: Partial<LeaderElectionOptions> = {},
): Candidate {
  const stop = new AbortController();
  const c: Candidate = {
    identity,
    stop,
    done: Promise.resolve(),
    newLeaders: [],
    startedAt: undefined,
    stoppedAt: undefined,
    stops: 0,
    leadingSignal: undefined,
    elector: undefined as unknown as LeaderElector,
  };
  c.elector = new LeaderElector({
    kubeConfig: kc,
    namespace,
    name,
    identity,
    ...timings,
    logger: testLogger(lines),
    onStartedLeading: (leading) => {
      c.startedAt = Date.now();
      c.leadingSignal = leading;
      tally.leading++;
      tally.maxLeading = Math.max(tally.maxLeading, tally.leading);
    },
    onStoppedLeading: () => {
      c.stoppedAt = Date.now();
      c.stops++;
      tally.leading--;
    },
    onNewLeader: (id) => c.newLeaders.push(id),
    ...extra,
  });
  c.done = c.elector.run(stop.signal);
  onTestFinished(async () => {
    stop.abort();
    await c.done;
  });
  return c;
}

async function readLease(api: CoordinationV1Api, namespace: string, name: string): Promise<V1Lease> {
  return api.readNamespacedLease({ name, namespace });
}

/** The Lease fields that matter, with the times checked for MicroTime's format. */
function leaseFields(lease: V1Lease) {
  const spec = lease.spec ?? {};
  expect(String(spec.renewTime)).toMatch(microTimePattern);
  expect(String(spec.acquireTime)).toMatch(microTimePattern);
  return { holderIdentity: spec.holderIdentity, leaseDurationSeconds: spec.leaseDurationSeconds, leaseTransitions: spec.leaseTransitions };
}

describe('LeaderElector options', () => {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  const logger = testLogger([]);
  const base = { kubeConfig: kc, namespace: 'ns', name: 'l', identity: 'me', logger };

  it.each([
    ['Flux defaults', {}, undefined],
    ['test timings', timings, undefined],
    ['empty identity', { identity: '' }, 'leader election: identity must not be empty'],
    ['empty name', { name: '' }, 'leader election: the Lease name and namespace must not be empty'],
    ['zero retry period', { retryPeriodMs: 0 }, 'leader election: retryPeriod must be greater than zero'],
    ['lease under a second', { leaseDurationMs: 900, renewDeadlineMs: 500, retryPeriodMs: 100 }, 'leader election: leaseDuration must be at least 1s'],
    ['renew deadline not under lease', { leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }, 'leader election: leaseDuration must be greater than renewDeadline'],
    ['renew deadline within jittered retry', { leaseDurationMs: 10_000, renewDeadlineMs: 6_000, retryPeriodMs: 5_000 }, 'leader election: renewDeadline must be greater than retryPeriod*1.2'],
  ] as const)('%s', (_name, opts, error) => {
    const make = () => new LeaderElector({ ...base, ...opts });
    if (error === undefined) {
      const elector = make();
      expect({ isLeader: elector.isLeader(), leader: elector.leader() }).toEqual({ isLeader: false, leader: undefined });
    } else {
      expect(make).toThrow(new Error(error));
    }
  });

  it('defaults to the timings of Flux flags', () => {
    expect(leaderElectionDefaults).toEqual({ leaseDurationMs: 35_000, renewDeadlineMs: 30_000, retryPeriodMs: 5_000 });
  });

  it('makes identities as controller-runtime does', () => {
    expect(leaderElectionIdentity('pod-1')).toMatch(/^pod-1_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(leaderElectionIdentity('pod-1')).not.toBe(leaderElectionIdentity('pod-1'));
  });
});

describe('LeaderElector on a real Lease', () => {
  const env = testEnv();
  const kc = kubeConfig(env);
  const api = kc.makeApiClient(CoordinationV1Api);

  it('elects exactly one leader and hands over quickly when it releases on cancel', async ({ onTestFailed }) => {
    const ns = await testNamespace(env, 'leader');
    const name = uniqueName('ctl-leader-election');
    const lines: string[] = [];
    onTestFailed(() => console.log(lines.join('\n')));
    const tally: Tally = { leading: 0, maxLeading: 0 };
    const a = startCandidate(kc, ns, name, 'a', tally, lines);
    const b = startCandidate(kc, ns, name, 'b', tally, lines);

    const [leader, follower] = await eventually(
      () => {
        const leaders = [a, b].filter((c) => c.elector.isLeader());
        expect(leaders.map((c) => c.identity)).toHaveLength(1);
        const l = leaders[0] === a ? a : b;
        const f = l === a ? b : a;
        // The follower has seen the leader: it has tried at least once since the Lease was taken.
        expect(f.newLeaders).toEqual([l.identity]);
        return [l, f] as const;
      },
      { timeoutMs: 10_000, description: 'one leader, seen by the other candidate' },
    );
    expect(leaseFields(await readLease(api, ns, name))).toEqual({ holderIdentity: leader.identity, leaseDurationSeconds: 2, leaseTransitions: 0 });
    expect({ leader: follower.elector.leader(), followerLeads: follower.elector.isLeader(), leaderNews: leader.newLeaders }).toEqual({
      leader: leader.identity,
      followerLeads: false,
      leaderNews: [leader.identity],
    });

    leader.stop.abort();
    await leader.done;
    const releasedAt = Date.now();
    expect({ stops: leader.stops, isLeader: leader.elector.isLeader(), leadingAborted: leader.leadingSignal?.aborted }).toEqual({
      stops: 1,
      isLeader: false,
      leadingAborted: true,
    });

    await eventually(() => expect(follower.elector.isLeader()).toBe(true), { timeoutMs: 5_000, description: 'the follower takes over' });
    // A released Lease is free at once: far less than the 2 s lease duration.
    expect((follower.startedAt ?? Infinity) - releasedAt).toBeLessThan(1_000);
    expect(leaseFields(await readLease(api, ns, name))).toEqual({ holderIdentity: follower.identity, leaseDurationSeconds: 2, leaseTransitions: 1 });
    expect({ followerNews: follower.newLeaders, maxLeading: tally.maxLeading }).toEqual({ followerNews: [leader.identity, follower.identity], maxLeading: 1 });
  });

  it('releases the Lease on cancel: no holder, a one-second duration', async ({ onTestFailed }) => {
    const ns = await testNamespace(env, 'leader');
    const name = uniqueName('ctl-leader-election');
    const lines: string[] = [];
    onTestFailed(() => console.log(lines.join('\n')));
    const a = startCandidate(kc, ns, name, 'a', { leading: 0, maxLeading: 0 }, lines);
    await eventually(() => expect(a.elector.isLeader()).toBe(true), { timeoutMs: 10_000, description: 'a leads' });
    a.stop.abort();
    await a.done;
    expect(leaseFields(await readLease(api, ns, name))).toEqual({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 0 });
    expect({ stops: a.stops, isLeader: a.elector.isLeader(), leader: a.elector.leader() }).toEqual({ stops: 1, isLeader: false, leader: undefined });
  });

  it('takes over from a leader that stopped renewing only after the lease duration', async ({ onTestFailed }) => {
    const ns = await testNamespace(env, 'leader');
    const name = uniqueName('ctl-leader-election');
    const lines: string[] = [];
    onTestFailed(() => console.log(lines.join('\n')));
    const tally: Tally = { leading: 0, maxLeading: 0 };
    // Cancelling without release is what a crash looks like to the other candidates.
    const a = startCandidate(kc, ns, name, 'a', tally, lines, { releaseOnCancel: false });
    await eventually(() => expect(a.elector.isLeader()).toBe(true), { timeoutMs: 10_000, description: 'a leads' });
    const b = startCandidate(kc, ns, name, 'b', tally, lines);
    await eventually(() => expect(b.newLeaders).toEqual(['a']), { timeoutMs: 5_000, description: 'b sees a lead' });

    a.stop.abort();
    await a.done;
    const abandoned = await readLease(api, ns, name);
    expect(leaseFields(abandoned)).toEqual({ holderIdentity: 'a', leaseDurationSeconds: 2, leaseTransitions: 0 });
    const lastRenewal = Date.parse(String(abandoned.spec?.renewTime));

    await eventually(() => expect(b.elector.isLeader()).toBe(true), { timeoutMs: 10_000, description: 'b takes over' });
    const waited = (b.startedAt ?? 0) - lastRenewal;
    // Not before the lease duration has passed since a's last renewal (a little slack for the
    // two clocks, wall and monotonic), and within a few jittered retry periods after it.
    expect(waited).toBeGreaterThanOrEqual(timings.leaseDurationMs - 50);
    expect(waited).toBeLessThanOrEqual(timings.leaseDurationMs + 8 * timings.retryPeriodMs);
    expect(leaseFields(await readLease(api, ns, name))).toEqual({ holderIdentity: 'b', leaseDurationSeconds: 2, leaseTransitions: 1 });
    expect({ aStops: a.stops, maxLeading: tally.maxLeading, bNews: b.newLeaders }).toEqual({ aStops: 1, maxLeading: 1, bNews: ['a', 'b'] });
  });

  it('stops leading when someone else takes the Lease and renewals fail', async ({ onTestFailed }) => {
    const ns = await testNamespace(env, 'leader');
    const name = uniqueName('ctl-leader-election');
    const lines: string[] = [];
    onTestFailed(() => console.log(lines.join('\n')));
    const a = startCandidate(kc, ns, name, 'a', { leading: 0, maxLeading: 0 }, lines);
    await eventually(() => expect(a.elector.isLeader()).toBe(true), { timeoutMs: 10_000, description: 'a leads' });

    // Write another holder straight into the Lease: a's next conditional renewal conflicts and,
    // re-reading, it finds a valid Lease held by someone else.
    const lease = await readLease(api, ns, name);
    const now = new V1MicroTime();
    await api.replaceNamespacedLease({
      name,
      namespace: ns,
      body: { ...lease, spec: { holderIdentity: 'intruder', leaseDurationSeconds: 30, acquireTime: now, renewTime: now, leaseTransitions: 1 } },
    });
    const takenAt = Date.now();

    await eventually(() => expect(a.stops).toBe(1), { timeoutMs: 10_000, description: 'a stops leading' });
    await a.done;
    expect(a.stop.signal.aborted).toBe(false);
    // It kept retrying for the renew deadline before giving up.
    expect((a.stoppedAt ?? 0) - takenAt).toBeGreaterThanOrEqual(timings.renewDeadlineMs - timings.retryPeriodMs);
    expect((a.stoppedAt ?? 0) - takenAt).toBeLessThanOrEqual(timings.renewDeadlineMs + 4 * timings.retryPeriodMs + 1_000);
    expect({ isLeader: a.elector.isLeader(), leader: a.elector.leader(), news: a.newLeaders, leadingAborted: a.leadingSignal?.aborted }).toEqual({
      isLeader: false,
      leader: 'intruder',
      news: ['a', 'intruder'],
      leadingAborted: true,
    });
    // a neither overwrote nor released the intruder's Lease.
    expect(leaseFields(await readLease(api, ns, name))).toEqual({ holderIdentity: 'intruder', leaseDurationSeconds: 30, leaseTransitions: 1 });
  });
});
