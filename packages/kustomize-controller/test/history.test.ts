// status.history: snapshots keyed by digest and outcome, newest first, at most five.
import type { KustomizationSnapshot } from '@eddy/api';
import { describe, expect, it } from 'vitest';
import { digestOf, historyLimit, recordSnapshot, type Reconciliation } from '../src/history.ts';

const at = (s: number) => new Date(Date.UTC(2026, 10, 23, 10, 0, s));
const run = (digest: string, status: string, start: number, end: number, revision = 'main@sha1:abc'): Reconciliation => ({ digest, revision, status, startedAt: at(start), finishedAt: at(end) });

describe('digestOf', () => {
  it('ignores the order of keys but not the order or content of objects', () => {
    const a = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'n' } };
    const aReordered = { metadata: { namespace: 'n', name: 'a' }, kind: 'ConfigMap', apiVersion: 'v1' };
    const b = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' } };
    expect(digestOf([a, b])).toBe(digestOf([aReordered, b]));
    expect(digestOf([a, b])).not.toBe(digestOf([b, a]));
    expect(digestOf([a])).not.toBe(digestOf([b]));
    expect(digestOf([a])).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('recordSnapshot', () => {
  it('starts a history with one snapshot', () => {
    expect(recordSnapshot(undefined, { ...run('sha256:1', 'ReconciliationSucceeded', 0, 2), originRevision: 'v1@sha1:def' })).toEqual([
      {
        digest: 'sha256:1',
        firstReconciled: '2026-11-23T10:00:00Z',
        lastReconciled: '2026-11-23T10:00:02Z',
        lastReconciledDuration: '2s',
        lastReconciledStatus: 'ReconciliationSucceeded',
        totalReconciliations: 1,
        metadata: { revision: 'main@sha1:abc', originRevision: 'v1@sha1:def' },
      },
    ]);
  });

  it('counts a repeat of the same digest and outcome in one snapshot, keeping when it was first seen', () => {
    let h = recordSnapshot(undefined, run('sha256:1', 'ReconciliationSucceeded', 0, 1));
    h = recordSnapshot(h, run('sha256:1', 'ReconciliationSucceeded', 10, 13));
    expect(h).toHaveLength(1);
    expect(h[0]).toMatchObject({ firstReconciled: '2026-11-23T10:00:00Z', lastReconciled: '2026-11-23T10:00:13Z', lastReconciledDuration: '3s', totalReconciliations: 2 });
  });

  it('keeps a failure of the same digest apart, and moves a repeated outcome back to the front', () => {
    let h = recordSnapshot(undefined, run('sha256:1', 'ReconciliationSucceeded', 0, 1));
    h = recordSnapshot(h, run('sha256:1', 'HealthCheckFailed', 2, 3));
    expect(h.map((s) => s.lastReconciledStatus)).toEqual(['HealthCheckFailed', 'ReconciliationSucceeded']);
    h = recordSnapshot(h, run('sha256:1', 'ReconciliationSucceeded', 4, 5));
    expect(h.map((s) => [s.lastReconciledStatus, s.totalReconciliations])).toEqual([
      ['ReconciliationSucceeded', 2],
      ['HealthCheckFailed', 1],
    ]);
  });

  it(`keeps the newest ${historyLimit}`, () => {
    let h: KustomizationSnapshot[] = [];
    for (let i = 1; i <= 7; i++) h = recordSnapshot(h, run(`sha256:${i}`, 'ReconciliationSucceeded', i, i));
    expect(h.map((s) => s.digest)).toEqual(['sha256:7', 'sha256:6', 'sha256:5', 'sha256:4', 'sha256:3']);
  });

  it('does not change the history it was given', () => {
    const h = recordSnapshot(undefined, run('sha256:1', 'ReconciliationSucceeded', 0, 1));
    const copy = structuredClone(h);
    recordSnapshot(h, run('sha256:1', 'ReconciliationSucceeded', 2, 3));
    expect(h).toEqual(copy);
  });
});
