// spec.dependsOn checks, pure logic over a lookup table.
import type { Kustomization } from '@eddy/api';
import { StallingError, WaitingError } from '@eddy/runtime';
import { describe, expect, it } from 'vitest';
import { checkDependencies, dependencyKeys, isDependencyReady } from '../../src/check-dependencies.ts';

function ks(namespace: string, name: string, opts: { dependsOn?: { name: string; namespace?: string; readyExpr?: string }[]; ready?: 'True' | 'False'; generation?: number; observed?: number } = {}): Kustomization {
  return {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name, namespace, generation: opts.generation ?? 1 },
    spec: { interval: '1m', prune: true, sourceRef: { kind: 'GitRepository', name: 'repo' }, ...(opts.dependsOn ? { dependsOn: opts.dependsOn } : {}) },
    status: {
      ...(opts.observed !== undefined ? { observedGeneration: opts.observed } : {}),
      ...(opts.ready ? { conditions: [{ type: 'Ready', status: opts.ready, reason: 'R', message: '', lastTransitionTime: '2025-01-01T00:00:00Z' }] } : {}),
    },
  } as Kustomization;
}

const table = (...objs: Kustomization[]) => (namespace: string, name: string) => objs.find((o) => o.metadata.namespace === namespace && o.metadata.name === name);
const opts = { noCrossNamespaceRefs: false, requeueDependencyMs: 1234 };

function outcome(fn: () => void): unknown {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof WaitingError) return { waiting: err.reason, message: err.message, after: err.requeueAfterMs };
    if (err instanceof StallingError) return { stalled: err.reason, message: err.message };
    throw err;
  }
}

describe('dependencyKeys', () => {
  it.each([
    [[], []],
    [[{ name: 'a' }], ['apps/a']],
    [[{ name: 'a', namespace: '' }, { name: 'b', namespace: 'infra' }], ['apps/a', 'infra/b']],
  ])('%j → %j', (dependsOn, keys) => {
    expect(dependencyKeys(ks('apps', 'x', { dependsOn }))).toEqual(keys);
  });
});

describe('isDependencyReady', () => {
  it.each([
    [{ ready: 'True', generation: 2, observed: 2 }, true],
    [{ ready: 'True', generation: 3, observed: 2 }, false],
    [{ ready: 'True', generation: 1 }, false],
    [{ ready: 'False', generation: 1, observed: 1 }, false],
    [{ generation: 1, observed: 1 }, false],
  ] as const)('%j → %s', (o, want) => {
    expect(isDependencyReady(ks('apps', 'dep', o))).toBe(want);
  });
});

describe('checkDependencies', () => {
  const readyA = ks('apps', 'a', { ready: 'True', observed: 1 });
  const readyInfra = ks('infra', 'b', { ready: 'True', observed: 1 });
  const staleA = ks('apps', 'a', { ready: 'True', generation: 2, observed: 1 });
  it.each([
    ['no dependencies', ks('apps', 'x'), [], opts, 'ok'],
    ['a Ready dependency', ks('apps', 'x', { dependsOn: [{ name: 'a' }] }), [readyA], opts, 'ok'],
    ['a Ready dependency in another namespace', ks('apps', 'x', { dependsOn: [{ name: 'b', namespace: 'infra' }] }), [readyInfra], opts, 'ok'],
    ['a missing dependency', ks('apps', 'x', { dependsOn: [{ name: 'a' }] }), [], opts, { waiting: 'DependencyNotReady', message: "dependency 'apps/a' is not ready", after: 1234 }],
    ['a dependency with an unobserved generation', ks('apps', 'x', { dependsOn: [{ name: 'a' }] }), [staleA], opts, { waiting: 'DependencyNotReady', message: "dependency 'apps/a' is not ready", after: 1234 }],
    [
      'the first not-ready one of several',
      ks('apps', 'x', { dependsOn: [{ name: 'a' }, { name: 'c' }] }),
      [readyA, ks('apps', 'c', { ready: 'False', observed: 1 })],
      opts,
      { waiting: 'DependencyNotReady', message: "dependency 'apps/c' is not ready", after: 1234 },
    ],
    [
      'a cross-namespace dependency while blocked',
      ks('apps', 'x', { dependsOn: [{ name: 'b', namespace: 'infra' }] }),
      [readyInfra],
      { ...opts, noCrossNamespaceRefs: true },
      { stalled: 'AccessDenied', message: "can't access 'Kustomization/infra/b', cross-namespace references have been blocked (--no-cross-namespace-refs)" },
    ],
    [
      'a readyExpr that replaces the Ready check (true although not Ready)',
      ks('apps', 'x', { dependsOn: [{ name: 'a', readyExpr: "dep.metadata.generation == 2 && self.metadata.name == 'x'" }] }),
      [staleA],
      opts,
      'ok',
    ],
    [
      'a readyExpr that is false although Ready',
      ks('apps', 'x', { dependsOn: [{ name: 'a', readyExpr: "dep.status.conditions.exists(c, c.type == 'Healthy')" }] }),
      [readyA],
      opts,
      { waiting: 'DependencyNotReady', message: "dependency 'apps/a' is not ready", after: 1234 },
    ],
    [
      'a readyExpr naming a field the dependency lacks',
      ks('apps', 'x', { dependsOn: [{ name: 'a', readyExpr: "dep.status.lastAppliedRevision != ''" }] }),
      [readyA],
      opts,
      { waiting: 'DependencyNotReady', message: "dependency 'apps/a' is not ready", after: 1234 },
    ],
    [
      'an invalid readyExpr',
      ks('apps', 'x', { dependsOn: [{ name: 'a' }, { name: 'a', readyExpr: 'dep.status ==' }] }),
      [readyA],
      opts,
      { stalled: 'InvalidCELExpression', message: expect.stringMatching(/^invalid CEL expression in spec\.dependsOn\[1\]\.readyExpr: .+/) },
    ],
    ['a same-namespace dependency while blocked', ks('apps', 'x', { dependsOn: [{ name: 'a', namespace: 'apps' }] }), [readyA], { ...opts, noCrossNamespaceRefs: true }, 'ok'],
  ] as const)('%s', (_name, obj, objs, o, want) => {
    expect(outcome(() => checkDependencies(obj, table(...objs), o))).toEqual(want);
  });
});
