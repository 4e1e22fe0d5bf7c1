import { expect, test } from 'vitest';
import { ChangeSet } from '../../src/apply/change-set.ts';
import { subjectOf, toKubeObject } from '../../src/apply/object.ts';

test('subjects in Flux format', () => {
  expect(subjectOf({ kind: 'Deployment', metadata: { name: 'web', namespace: 'apps' } })).toBe('Deployment/apps/web');
  expect(subjectOf({ kind: 'Namespace', metadata: { name: 'apps' } })).toBe('Namespace/apps');
});

test('the change log', () => {
  const cs = new ChangeSet([
    { subject: 'Namespace/apps', action: 'created' },
    { subject: 'Deployment/apps/web', action: 'configured', changedPaths: ['/spec/replicas'] },
  ]);
  cs.append(new ChangeSet([{ subject: 'ConfigMap/apps/a', action: 'unchanged' }, { subject: 'ConfigMap/apps/b', action: 'skipped' }]));
  expect(cs.logLines()).toEqual(['Namespace/apps created', 'Deployment/apps/web configured', 'ConfigMap/apps/a unchanged', 'ConfigMap/apps/b skipped']);
  expect(cs.toString()).toBe('Namespace/apps created\nDeployment/apps/web configured\nConfigMap/apps/a unchanged\nConfigMap/apps/b skipped');
  expect(cs.changes().map((e) => e.subject)).toEqual(['Namespace/apps', 'Deployment/apps/web', 'ConfigMap/apps/b']);
});

test.each([
  [{ apiVersion: 'v1', metadata: { name: 'x' } }, 'object has no kind (apiVersion v1, name x)'],
  [{ kind: 'ConfigMap', metadata: { name: 'x' } }, 'ConfigMap/x has no apiVersion'],
  [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }, 'ConfigMap object has no metadata.name'],
])('toKubeObject rejects %j', (obj, message) => {
  expect(() => toKubeObject(obj)).toThrow(message);
});
