import { describe, expect, test } from 'vitest';
import { cleanupManagers, managedFieldsPatch, matchesManager, mergeFieldSets } from '../../src/apply/field-managers.ts';
import type { KubeObject, ManagedFieldsEntry } from '../../src/apply/object.ts';

const now = new Date('2025-01-02T03:04:05.678Z');
const managers = cleanupManagers('kustomize-controller', ['helm']);

function object(managedFields: ManagedFieldsEntry[], annotations?: Record<string, string>): KubeObject {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'apps', resourceVersion: '42', managedFields, ...(annotations ? { annotations } : {}) } };
}

const ours: ManagedFieldsEntry = { manager: 'kustomize-controller', operation: 'Apply', apiVersion: 'apps/v1', time: '2024-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } };
const scale: ManagedFieldsEntry = { manager: 'kubectl', operation: 'Update', apiVersion: 'apps/v1', subresource: 'scale', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } };
const label: ManagedFieldsEntry = { manager: 'kubectl-label', operation: 'Update', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:edited': {} } } } };
const controller: ManagedFieldsEntry = { manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'apps/v1', subresource: 'status', fieldsType: 'FieldsV1', fieldsV1: { 'f:status': {} } };
const escapeHatch: ManagedFieldsEntry = { manager: 'flux-client-side-apply', operation: 'Update', fieldsV1: { 'f:data': {} } };

describe('matchesManager', () => {
  test.each([
    [{ manager: 'kubectl', operation: 'Apply' }, true],
    [{ manager: 'kubectl', operation: 'Update' }, true],
    [{ manager: 'kubectl-edit', operation: 'Update' }, true],
    [{ manager: 'kubectl-client-side-apply', operation: 'Update' }, true],
    [{ manager: 'before-first-apply', operation: 'Update' }, true],
    [{ manager: 'before-first-apply', operation: 'Apply' }, false],
    [{ manager: 'kustomize-controller', operation: 'Update' }, true],
    [{ manager: 'kustomize-controller', operation: 'Apply' }, false],
    [{ manager: 'helm', operation: 'Apply' }, true],
    [{ manager: 'kubectlfoo', operation: 'Update' }, false],
    [{ manager: 'flux-client-side-apply', operation: 'Update' }, false],
    [{ manager: 'kubectl', operation: 'Update', subresource: 'status' }, false],
    [{ manager: 'kube-controller-manager', operation: 'Update' }, false],
  ] satisfies [ManagedFieldsEntry, boolean][])('%j → %s', (entry, want) => {
    expect(matchesManager(entry, managers)).toBe(want);
  });

  test('flux-client-side-apply is never taken, even when listed', () => {
    expect(matchesManager(escapeHatch, cleanupManagers('kustomize-controller', ['flux-client-side-apply']))).toBe(false);
  });
});

test('mergeFieldSets is a deep union', () => {
  expect(mergeFieldSets({ 'f:spec': { 'f:replicas': {} }, 'f:a': {} }, { 'f:spec': { 'f:template': { '.': {} } }, 'f:b': {} })).toEqual({
    'f:spec': { 'f:replicas': {}, 'f:template': { '.': {} } },
    'f:a': {},
    'f:b': {},
  });
});

describe('managedFieldsPatch', () => {
  test('nothing to clean up', () => {
    expect(managedFieldsPatch(object([ours, controller, escapeHatch]), 'kustomize-controller', managers, now)).toBeUndefined();
  });

  test('merges kubectl entries into our Apply entry', () => {
    expect(managedFieldsPatch(object([ours, scale, controller, label]), 'kustomize-controller', managers, now)).toEqual([
      { op: 'test', path: '/metadata/resourceVersion', value: '42' },
      {
        op: 'replace',
        path: '/metadata/managedFields',
        value: [{ ...ours, fieldsV1: { 'f:spec': { 'f:replicas': {} }, 'f:metadata': { 'f:labels': { 'f:edited': {} } } } }, controller],
      },
    ]);
  });

  test('creates our Apply entry when there is none, and removes the last-applied annotation', () => {
    const obj = object([label], { 'kubectl.kubernetes.io/last-applied-configuration': '{}' });
    expect(managedFieldsPatch(obj, 'kustomize-controller', managers, now)).toEqual([
      { op: 'test', path: '/metadata/resourceVersion', value: '42' },
      {
        op: 'replace',
        path: '/metadata/managedFields',
        value: [{ manager: 'kustomize-controller', operation: 'Apply', apiVersion: 'apps/v1', time: '2025-01-02T03:04:05Z', fieldsType: 'FieldsV1', fieldsV1: label.fieldsV1 }],
      },
      { op: 'remove', path: '/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration' },
    ]);
  });

  test('only the annotation', () => {
    expect(managedFieldsPatch(object([ours], { 'kubectl.kubernetes.io/last-applied-configuration': '{}' }), 'kustomize-controller', managers, now)).toEqual([
      { op: 'test', path: '/metadata/resourceVersion', value: '42' },
      { op: 'remove', path: '/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration' },
    ]);
  });
});
