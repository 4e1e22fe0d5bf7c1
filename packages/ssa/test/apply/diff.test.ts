import { describe, expect, test } from 'vitest';
import { changedPaths, escapePointer, jsonEqual, withoutServerFields } from '../../src/apply/diff.ts';
import type { KubeObject } from '../../src/apply/object.ts';

const base: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'apps', labels: { app: 'web' } },
  spec: { replicas: 2, template: { spec: { containers: [{ name: 'web', image: 'nginx:1' }] } } },
};

function variant(patch: (o: KubeObject) => void): KubeObject {
  const copy = structuredClone(base);
  patch(copy);
  return copy;
}

describe('withoutServerFields', () => {
  test('drops server-managed metadata and status, keeps the rest', () => {
    const live = variant((o) => {
      Object.assign(o.metadata, { managedFields: [{ manager: 'x' }], resourceVersion: '7', generation: 3, uid: 'u', creationTimestamp: '2024-01-01T00:00:00Z' });
      o['status'] = { replicas: 2 };
    });
    expect(withoutServerFields(live)).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'apps', labels: { app: 'web' } },
      spec: { replicas: 2, template: { spec: { containers: [{ name: 'web', image: 'nginx:1' }] } } },
    });
  });
});

describe('changedPaths', () => {
  test.each([
    { name: 'equal', desired: base, want: [] },
    { name: 'only noise differs', desired: variant((o) => { o.metadata.resourceVersion = '9'; o['status'] = { x: 1 }; }), want: [] },
    { name: 'a scalar', desired: variant((o) => { (o['spec'] as { replicas: number }).replicas = 5; }), want: ['/spec/replicas'] },
    { name: 'an array item field', desired: variant((o) => { ((o['spec'] as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]!).image = 'nginx:2'; }), want: ['/spec/template/spec/containers/0/image'] },
    { name: 'an added label with a slash', desired: variant((o) => { o.metadata.labels = { app: 'web', 'example.com/x': 'y' }; }), want: ['/metadata/labels/example.com~1x'] },
    { name: 'a removed field', desired: variant((o) => { delete o.metadata.labels; }), want: ['/metadata/labels'] },
    { name: 'an array of another length', desired: variant((o) => { (o['spec'] as { template: { spec: { containers: unknown[] } } }).template.spec.containers.push({ name: 'b' }); }), want: ['/spec/template/spec/containers'] },
  ])('$name', ({ desired, want }) => {
    expect(changedPaths(base, desired)).toEqual(want);
  });

  test('reports at most the limit', () => {
    const many = variant((o) => { o['data'] = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${String(i).padStart(2, '0')}`, 'v'])); });
    expect(changedPaths(base, many, 3)).toEqual(['/data']);
    const live = variant((o) => { o['data'] = {}; });
    expect(changedPaths(live, many, 3)).toEqual(['/data/k00', '/data/k01', '/data/k02']);
  });
});

describe('jsonEqual', () => {
  test.each([
    [{ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }, true],
    [{ a: 1 }, { a: 1, b: undefined }, false],
    [[1, 2], [2, 1], false],
    [null, {}, false],
    ['1', 1, false],
  ])('%j vs %j', (a, b, want) => {
    expect(jsonEqual(a, b)).toBe(want);
  });
});

test('escapePointer', () => {
  expect(['a/b', 'a~b', 'plain'].map(escapePointer)).toEqual(['a~1b', 'a~0b', 'plain']);
});
