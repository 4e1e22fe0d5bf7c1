import { describe, expect, it } from 'vitest';
import { InventoryEntryError, apiVersionOf, diff, entryFor, parseEntry, subjectOf, type ObjectRef } from '../../src/inventory/inventory.ts';

interface Case {
  what: string;
  obj: Record<string, unknown>;
  id: string;
  ref: ObjectRef;
}

const cases: Case[] = [
  {
    what: 'namespaced, grouped',
    obj: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' } },
    id: 'default_web_apps_Deployment',
    ref: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'default', name: 'web' },
  },
  {
    what: 'cluster-scoped, core',
    obj: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps' } },
    id: '_apps__Namespace',
    ref: { group: '', version: 'v1', kind: 'Namespace', namespace: '', name: 'apps' },
  },
  {
    what: 'namespaced, core',
    obj: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'apps' } },
    id: 'apps_settings__ConfigMap',
    ref: { group: '', version: 'v1', kind: 'ConfigMap', namespace: 'apps', name: 'settings' },
  },
  {
    what: 'cluster-scoped, dotted group and name',
    obj: { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.test.eddy.dev' } },
    id: '_widgets.test.eddy.dev_apiextensions.k8s.io_CustomResourceDefinition',
    ref: { group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition', namespace: '', name: 'widgets.test.eddy.dev' },
  },
  {
    what: 'names with dashes and dots, Flux kind',
    obj: { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'infra-controllers.v2', namespace: 'flux-system' } },
    id: 'flux-system_infra-controllers.v2_kustomize.toolkit.fluxcd.io_Kustomization',
    ref: { group: 'kustomize.toolkit.fluxcd.io', version: 'v1', kind: 'Kustomization', namespace: 'flux-system', name: 'infra-controllers.v2' },
  },
  {
    what: 'RBAC name with colons (transcoded as __)',
    obj: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'system:aggregate-to-edit' } },
    id: '_system__aggregate-to-edit_rbac.authorization.k8s.io_ClusterRole',
    ref: { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole', namespace: '', name: 'system:aggregate-to-edit' },
  },
  {
    what: 'beta version',
    obj: { apiVersion: 'autoscaling/v2beta2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'a', namespace: 'b' } },
    id: 'b_a_autoscaling_HorizontalPodAutoscaler',
    ref: { group: 'autoscaling', version: 'v2beta2', kind: 'HorizontalPodAutoscaler', namespace: 'b', name: 'a' },
  },
];

describe('entryFor / parseEntry', () => {
  it.each(cases)('$what', ({ obj, id, ref }) => {
    expect(entryFor(obj)).toEqual({ id, v: ref.version });
    expect(parseEntry(id, ref.version)).toEqual(ref);
  });

  it.each([
    ['no separator', 'nothing'],
    ['only namespace and name', 'ns_name'],
    ['too many fields', 'ns_a_b_apps_Deployment'],
    ['empty name', 'ns__apps_Deployment'],
    ['empty kind', 'ns_web_apps_'],
  ])('rejects %s', (_what, id) => {
    expect(() => parseEntry(id, 'v1')).toThrow(InventoryEntryError);
  });

  it('rejects an empty version', () => {
    expect(() => parseEntry('ns_web_apps_Deployment', '')).toThrow(InventoryEntryError);
  });

  it.each([
    ['no apiVersion', { kind: 'ConfigMap', metadata: { name: 'a' } }],
    ['no kind', { apiVersion: 'v1', metadata: { name: 'a' } }],
    ['no name', { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }],
    ['no metadata', { apiVersion: 'v1', kind: 'ConfigMap' }],
  ])('entryFor rejects an object with %s', (_what, obj) => {
    expect(() => entryFor(obj)).toThrow(InventoryEntryError);
  });
});

describe('subjectOf / apiVersionOf', () => {
  it.each([
    [{ group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'apps', name: 'web' }, 'Deployment/apps/web', 'apps/v1'],
    [{ group: '', version: 'v1', kind: 'Namespace', namespace: '', name: 'apps' }, 'Namespace/apps', 'v1'],
    [{ group: '', version: 'v1', kind: 'Service', namespace: 'x', name: 'y' }, 'Service/x/y', 'v1'],
  ])('%o', (ref, subject, apiVersion) => {
    expect(subjectOf(ref)).toBe(subject);
    expect(apiVersionOf(ref)).toBe(apiVersion);
  });
});

describe('diff', () => {
  const e = (id: string, v = 'v1') => ({ id, v });
  it.each([
    { what: 'nothing old', old: [], new: [e('a_b__ConfigMap')], stale: [] },
    { what: 'nothing new', old: [e('a_b__ConfigMap'), e('_n__Namespace')], new: [], stale: [e('a_b__ConfigMap'), e('_n__Namespace')] },
    { what: 'same', old: [e('a_b__ConfigMap')], new: [e('a_b__ConfigMap')], stale: [] },
    {
      what: 'removed ones keep the old order',
      old: [e('a_z__ConfigMap'), e('a_web_apps_Deployment'), e('a_m__Secret'), e('_a__Namespace')],
      new: [e('a_web_apps_Deployment'), e('_a__Namespace')],
      stale: [e('a_z__ConfigMap'), e('a_m__Secret')],
    },
    { what: 'version change is not stale', old: [e('a_h_autoscaling_HorizontalPodAutoscaler', 'v2beta2')], new: [e('a_h_autoscaling_HorizontalPodAutoscaler', 'v2')], stale: [] },
    { what: 'namespace change is stale', old: [e('a_web_apps_Deployment')], new: [e('b_web_apps_Deployment')], stale: [e('a_web_apps_Deployment')] },
    { what: 'group change is stale', old: [e('a_web_extensions_Deployment', 'v1beta1')], new: [e('a_web_apps_Deployment')], stale: [e('a_web_extensions_Deployment', 'v1beta1')] },
    { what: 'duplicates reported once', old: [e('a_b__ConfigMap'), e('a_b__ConfigMap')], new: [], stale: [e('a_b__ConfigMap')] },
  ])('$what', ({ old, new: next, stale }) => {
    expect(diff(old, next)).toEqual(stale);
  });
});
