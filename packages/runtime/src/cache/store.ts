/**
 * The in-memory store behind an informer: objects keyed by `namespace/name`, with named
 * indexes kept current on every change, and the diff a relist makes against what was held.
 */

/**
 * A Kubernetes object as the cache holds it: any kind (built-in, Flux, CRD), known by its
 * metadata. Looser than client-node's type of the same name, whose `Date` timestamps do not
 * match the JSON the API server sends.
 */
export interface KubernetesObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

/** Computes the values an object is indexed under (e.g. the sources a Kustomization refers to). */
export type IndexFunc<T> = (obj: T) => string[];

/** What a {@link Store.replace} changed: objects new to the store, changed, and gone. */
export interface StoreChanges<T> {
  added: T[];
  updated: { old: T; new: T }[];
  deleted: T[];
}

/** The store key of an object: `namespace/name`, or `name` for a cluster-scoped object. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

function keyOf(obj: KubernetesObject): string {
  const name = obj.metadata?.name;
  if (!name) throw new Error('object without metadata.name cannot be stored');
  return objectKey(obj.metadata?.namespace, name);
}

interface Index<T> {
  func: IndexFunc<T>;
  /** Index value → keys of the objects indexed under it. */
  keysByValue: Map<string, Set<string>>;
  /** Object key → the values it is indexed under now, to undo on change. */
  valuesByKey: Map<string, string[]>;
}

/**
 * Objects of one kind by key, with indexes. Objects handed out are the stored ones, shared by
 * every reader: callers must treat them as read-only and copy before changing them.
 */
export class Store<T extends KubernetesObject> {
  readonly #objects = new Map<string, T>();
  readonly #indexes = new Map<string, Index<T>>();

  /** The object `namespace/name` (namespace undefined for cluster-scoped objects), if held. */
  get(namespace: string | undefined, name: string): T | undefined {
    return this.#objects.get(objectKey(namespace, name));
  }

  /** Every object held, or those of one namespace. */
  list(namespace?: string): T[] {
    const all = [...this.#objects.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }

  /** How many objects are held. */
  get size(): number {
    return this.#objects.size;
  }

  /**
   * Adds an index computed by `func` over every object, now and on each later change. Index
   * functions must be pure and must not throw. Throws if an index of that name exists.
   */
  addIndex(name: string, func: IndexFunc<T>): void {
    if (this.#indexes.has(name)) throw new Error(`index ${name} already exists`);
    const index: Index<T> = { func, keysByValue: new Map(), valuesByKey: new Map() };
    for (const [key, obj] of this.#objects) indexAdd(index, key, uniq(func(obj)));
    this.#indexes.set(name, index);
  }

  /** The objects the index `name` holds under `value`. Throws for an unknown index. */
  byIndex(name: string, value: string): T[] {
    const index = this.#indexes.get(name);
    if (!index) throw new Error(`no index ${name}`);
    const out: T[] = [];
    for (const key of index.keysByValue.get(value) ?? []) {
      const obj = this.#objects.get(key);
      if (obj) out.push(obj);
    }
    return out;
  }

  /** Adds or replaces an object; returns the one it replaced. */
  upsert(obj: T): T | undefined {
    const key = keyOf(obj);
    // Index values first, so a failing index function leaves the store as it was.
    const values = [...this.#indexes.values()].map((index) => uniq(index.func(obj)));
    const old = this.#objects.get(key);
    this.#objects.set(key, obj);
    [...this.#indexes.values()].forEach((index, i) => {
      indexRemove(index, key);
      indexAdd(index, key, values[i] ?? []);
    });
    return old;
  }

  /** Removes the object with the key of `obj`; returns the one removed. */
  remove(obj: KubernetesObject): T | undefined {
    const key = keyOf(obj);
    const old = this.#objects.get(key);
    if (!old) return undefined;
    this.#objects.delete(key);
    for (const index of this.#indexes.values()) indexRemove(index, key);
    return old;
  }

  /**
   * Makes the store hold exactly `objs` (a fresh list) and says what changed: an object is
   * updated when its resourceVersion differs (compared for equality only, never by size).
   */
  replace(objs: T[]): StoreChanges<T> {
    const changes: StoreChanges<T> = { added: [], updated: [], deleted: [] };
    const seen = new Set<string>();
    for (const obj of objs) {
      const key = keyOf(obj);
      seen.add(key);
      const old = this.#objects.get(key);
      if (old && old.metadata?.resourceVersion === obj.metadata?.resourceVersion) continue;
      this.upsert(obj);
      if (old) changes.updated.push({ old, new: obj });
      else changes.added.push(obj);
    }
    for (const [key, old] of [...this.#objects]) {
      if (seen.has(key)) continue;
      this.remove(old);
      changes.deleted.push(old);
    }
    return changes;
  }
}

function uniq(values: string[]): string[] {
  return [...new Set(values)];
}

function indexAdd<T>(index: Index<T>, key: string, values: string[]): void {
  if (values.length === 0) return;
  index.valuesByKey.set(key, values);
  for (const value of values) {
    let keys = index.keysByValue.get(value);
    if (!keys) index.keysByValue.set(value, (keys = new Set()));
    keys.add(key);
  }
}

function indexRemove<T>(index: Index<T>, key: string): void {
  for (const value of index.valuesByKey.get(key) ?? []) {
    const keys = index.keysByValue.get(value);
    keys?.delete(key);
    if (keys?.size === 0) index.keysByValue.delete(value);
  }
  index.valuesByKey.delete(key);
}
