import { describe, expect, test } from 'vitest';
import type { KubeObject } from '../../src/apply/object.ts';
import { applyPolicy, applyStage, forceAnnotated, isCrd, stages, withLabels } from '../../src/apply/policy.ts';

function annotated(annotations?: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'ns', ...(annotations ? { annotations } : {}) } };
}

describe('applyPolicy', () => {
  test.each([
    [undefined, 'Override'],
    ['Override', 'Override'],
    ['merge', 'Merge'],
    ['MERGE', 'Merge'],
    ['ifnotpresent', 'IfNotPresent'],
    [' Ignore ', 'Ignore'],
    ['bogus', 'Override'],
  ])('%s → %s', (value, want) => {
    expect(applyPolicy(annotated(value === undefined ? undefined : { 'kustomize.toolkit.fluxcd.io/ssa': value }))).toBe(want);
  });
});

test.each([
  [undefined, false],
  ['enabled', true],
  ['Enabled', true],
  ['disabled', false],
  ['true', false],
])('forceAnnotated(%s) is %s', (value, want) => {
  expect(forceAnnotated(annotated(value === undefined ? undefined : { 'kustomize.toolkit.fluxcd.io/force': value }))).toBe(want);
});

test.each([
  ['CustomResourceDefinition', 1],
  ['Namespace', 1],
  ['ClusterRole', 1],
  ['ClusterRoleBinding', 1],
  ['StorageClass', 2],
  ['IngressClass', 2],
  ['PriorityClass', 2],
  ['Deployment', 3],
  ['Role', 3],
  ['Widget', 3],
])('applyStage(%s) is %i', (kind, want) => {
  expect(applyStage({ kind })).toBe(want);
});

test('stages keep the given order within a stage', () => {
  const objs = ['Deployment', 'StorageClass', 'Namespace', 'Service', 'CustomResourceDefinition'].map((kind) => ({ kind }));
  expect(stages(objs)).toEqual([[{ kind: 'Namespace' }, { kind: 'CustomResourceDefinition' }], [{ kind: 'StorageClass' }], [{ kind: 'Deployment' }, { kind: 'Service' }]]);
});

test('isCrd', () => {
  expect(isCrd({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'a' } })).toBe(true);
  expect(isCrd({ apiVersion: 'example.com/v1', kind: 'CustomResourceDefinition', metadata: { name: 'a' } })).toBe(false);
});

test('withLabels adds labels to a copy', () => {
  const obj: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', labels: { a: '1', owner: 'old' } } };
  expect(withLabels(obj, { owner: 'new', b: '2' })).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', labels: { a: '1', owner: 'new', b: '2' } } });
  expect(obj.metadata.labels).toEqual({ a: '1', owner: 'old' });
  expect(withLabels(obj, {})).toBe(obj);
});
