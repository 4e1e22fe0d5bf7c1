import { describe, expect, it } from 'vitest';
import { Store, objectKey, type KubernetesObject } from '../../src/cache/store.ts';

interface Obj extends KubernetesObject {
  metadata: { name: string; namespace?: string; resourceVersion: string };
  spec: { source?: string[] };
}

const obj = (namespace: string | undefined, name: string, resourceVersion: string, source: string[] = []): Obj => ({
  metadata: { name, ...(namespace ? { namespace } : {}), resourceVersion },
  spec: { source },
});

/** Names of objects as `namespace/name@rv`, sorted, for whole-result assertions. */
const ids = (objs: Obj[]): string[] => objs.map((o) => `${objectKey(o.metadata.namespace, o.metadata.name)}@${o.metadata.resourceVersion}`).sort();

describe('objectKey', () => {
  it.each([
    ['ns', 'a', 'ns/a'],
    [undefined, 'a', 'a'],
    ['', 'a', 'a'],
  ])('objectKey(%j, %j) = %j', (namespace, name, want) => {
    expect(objectKey(namespace, name)).toBe(want);
  });
});

describe('Store', () => {
  it('gets, lists by namespace and removes', () => {
    const store = new Store<Obj>();
    store.upsert(obj('a', 'x', '1'));
    store.upsert(obj('b', 'x', '2'));
    store.upsert(obj(undefined, 'cluster', '3'));
    expect(store.get('a', 'x')).toEqual(obj('a', 'x', '1'));
    expect(store.get(undefined, 'cluster')).toEqual(obj(undefined, 'cluster', '3'));
    expect(store.get('c', 'x')).toBeUndefined();
    expect(ids(store.list())).toEqual(['a/x@1', 'b/x@2', 'cluster@3']);
    expect(ids(store.list('a'))).toEqual(['a/x@1']);
    expect(store.upsert(obj('a', 'x', '4'))).toEqual(obj('a', 'x', '1'));
    expect(store.remove(obj('b', 'x', '9'))).toEqual(obj('b', 'x', '2'));
    expect(store.remove(obj('b', 'x', '9'))).toBeUndefined();
    expect(ids(store.list())).toEqual(['a/x@4', 'cluster@3']);
    expect(store.size).toBe(2);
  });

  it('refuses an object without a name', () => {
    expect(() => new Store<KubernetesObject>().upsert({ metadata: {} })).toThrow('without metadata.name');
  });

  it.each([
    {
      name: 'from empty: everything is added',
      before: [],
      after: [obj('n', 'a', '1'), obj('n', 'b', '2')],
      want: { added: ['n/a@1', 'n/b@2'], updated: [], deleted: [] },
    },
    {
      name: 'same resourceVersions: nothing changes',
      before: [obj('n', 'a', '1'), obj('n', 'b', '2')],
      after: [obj('n', 'b', '2'), obj('n', 'a', '1')],
      want: { added: [], updated: [], deleted: [] },
    },
    {
      name: 'added, updated and deleted at once',
      before: [obj('n', 'keep', '1'), obj('n', 'change', '2'), obj('n', 'gone', '3')],
      after: [obj('n', 'keep', '1'), obj('n', 'change', '7'), obj('n', 'new', '8')],
      want: { added: ['n/new@8'], updated: ['n/change@2 -> n/change@7'], deleted: ['n/gone@3'] },
    },
    {
      // resourceVersions are opaque: a "smaller" one is still a change.
      name: 'a resourceVersion that compares smaller is still an update',
      before: [obj('n', 'a', '10')],
      after: [obj('n', 'a', '9')],
      want: { added: [], updated: ['n/a@10 -> n/a@9'], deleted: [] },
    },
    {
      name: 'to empty: everything is deleted',
      before: [obj('n', 'a', '1'), obj(undefined, 'c', '2')],
      after: [],
      want: { added: [], updated: [], deleted: ['c@2', 'n/a@1'] },
    },
  ])('replace: $name', ({ before, after, want }) => {
    const store = new Store<Obj>();
    for (const o of before) store.upsert(o);
    const changes = store.replace(after);
    expect({
      added: ids(changes.added),
      updated: changes.updated.map((u) => `${ids([u.old])[0]} -> ${ids([u.new])[0]}`).sort(),
      deleted: ids(changes.deleted),
    }).toEqual(want);
    expect(ids(store.list())).toEqual(ids(after));
  });

  it('keeps indexes current through upsert, remove and replace', () => {
    const store = new Store<Obj>();
    store.upsert(obj('n', 'a', '1', ['git/x']));
    // An index added to a populated store covers what is already there.
    store.addIndex('source', (o) => o.spec.source ?? []);
    store.upsert(obj('n', 'b', '1', ['git/x', 'git/y', 'git/x']));
    expect(ids(store.byIndex('source', 'git/x'))).toEqual(['n/a@1', 'n/b@1']);
    expect(ids(store.byIndex('source', 'git/y'))).toEqual(['n/b@1']);
    expect(store.byIndex('source', 'git/z')).toEqual([]);

    store.upsert(obj('n', 'b', '2', ['git/z']));
    expect(ids(store.byIndex('source', 'git/x'))).toEqual(['n/a@1']);
    expect(store.byIndex('source', 'git/y')).toEqual([]);
    expect(ids(store.byIndex('source', 'git/z'))).toEqual(['n/b@2']);

    store.remove(obj('n', 'a', '1'));
    expect(store.byIndex('source', 'git/x')).toEqual([]);

    store.replace([obj('n', 'b', '3', ['git/x']), obj('m', 'c', '1', ['git/x'])]);
    expect(ids(store.byIndex('source', 'git/x'))).toEqual(['m/c@1', 'n/b@3']);
    expect(store.byIndex('source', 'git/z')).toEqual([]);
  });

  it('leaves the store unchanged when an index function throws', () => {
    const store = new Store<Obj>();
    store.addIndex('source', (o) => {
      if (o.metadata.name === 'bad') throw new Error('boom');
      return o.spec.source ?? [];
    });
    store.upsert(obj('n', 'good', '1', ['git/x']));
    expect(() => store.upsert(obj('n', 'bad', '1'))).toThrow('boom');
    expect(ids(store.list())).toEqual(['n/good@1']);
    expect(ids(store.byIndex('source', 'git/x'))).toEqual(['n/good@1']);
  });

  it('rejects a duplicate or unknown index', () => {
    const store = new Store<Obj>();
    store.addIndex('source', () => []);
    expect(() => store.addIndex('source', () => [])).toThrow('index source already exists');
    expect(() => store.byIndex('other', 'x')).toThrow('no index other');
  });
});
