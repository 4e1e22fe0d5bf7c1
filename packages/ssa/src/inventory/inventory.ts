/**
 * Flux's inventory: the list of objects an applier applied, one {@link ResourceRef} each
 * (`id` = `<namespace>_<name>_<group>_<kind>`, `v` = version), as kept in
 * `status.inventory.entries` of a Kustomization or HelmRelease. The id format is cli-utils'
 * ObjMetadata string, so inventories written by Flux and by Eddy are interchangeable.
 */
import type { ResourceRef } from '@eddy/api';

/** An object an inventory entry points at: group, version, kind, namespace and name. */
export interface ObjectRef {
  /** API group; empty for the core group. */
  group: string;
  version: string;
  kind: string;
  /** Empty for cluster-scoped objects. */
  namespace: string;
  name: string;
}

/** The plain JSON shape of an object as kustomize or helm renders it (only the fields read here). */
export interface ObjectLike {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: unknown;
}

/** The field separator of an inventory id. */
const separator = '_';
/** RBAC names may contain `:`; cli-utils writes it as `__` (a name never holds `_`). */
const colonTranscoded = '__';

/** Thrown when an inventory id or an object cannot be turned into an {@link ObjectRef}. */
export class InventoryEntryError extends Error {
  override readonly name = 'InventoryEntryError';
}

/** The group and version of an `apiVersion` (`apps/v1` → apps, v1; `v1` → core, v1). */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** The `apiVersion` of a reference (`apps/v1`, or `v1` for the core group). */
export function apiVersionOf(ref: Pick<ObjectRef, 'group' | 'version'>): string {
  return ref.group ? `${ref.group}/${ref.version}` : ref.version;
}

/** The inventory id of a reference, e.g. `default_web_apps_Deployment` or `_apps__Namespace`. */
export function entryId(ref: Omit<ObjectRef, 'version'>): string {
  const name = ref.name.replaceAll(':', colonTranscoded);
  return [ref.namespace, name, ref.group, ref.kind].join(separator);
}

/** The reference of a rendered object; throws {@link InventoryEntryError} when it lacks apiVersion, kind or name. */
export function refOf(obj: ObjectLike): ObjectRef {
  const meta = (typeof obj.metadata === 'object' && obj.metadata !== null ? obj.metadata : {}) as { name?: unknown; namespace?: unknown };
  if (typeof obj.apiVersion !== 'string' || obj.apiVersion === '') throw new InventoryEntryError('object has no apiVersion');
  if (typeof obj.kind !== 'string' || obj.kind === '') throw new InventoryEntryError(`${obj.apiVersion} object has no kind`);
  if (typeof meta.name !== 'string' || meta.name === '') throw new InventoryEntryError(`${obj.kind} object has no metadata.name`);
  const namespace = typeof meta.namespace === 'string' ? meta.namespace : '';
  return { ...splitApiVersion(obj.apiVersion), kind: obj.kind, namespace, name: meta.name };
}

/** The stub of the object a reference names, as the runtime's ObjectClient takes it (empty namespace: none). */
export function stubOf(ref: ObjectRef): { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } } {
  const metadata = ref.namespace ? { name: ref.name, namespace: ref.namespace } : { name: ref.name };
  return { apiVersion: apiVersionOf(ref), kind: ref.kind, metadata };
}

/** The inventory entry of a rendered object (its namespace must already be set for namespaced kinds). */
export function entryFor(obj: ObjectLike): ResourceRef {
  const ref = refOf(obj);
  return { id: entryId(ref), v: ref.version };
}

/**
 * The reference an inventory entry points at. Parses like cli-utils' ParseObjMetadata: the
 * namespace is the first field, kind the last, group the one before it, and the rest the name
 * (with `__` turned back into `:`). Throws {@link InventoryEntryError} on a malformed id.
 */
export function parseEntry(id: string, v: string): ObjectRef {
  const first = id.indexOf(separator);
  if (first === -1) throw new InventoryEntryError(`unable to parse inventory entry: ${id}`);
  const namespace = id.slice(0, first);
  let rest = id.slice(first + 1);
  const beforeKind = rest.lastIndexOf(separator);
  if (beforeKind === -1) throw new InventoryEntryError(`unable to parse inventory entry: ${id}`);
  const kind = rest.slice(beforeKind + 1);
  rest = rest.slice(0, beforeKind);
  const beforeGroup = rest.lastIndexOf(separator);
  if (beforeGroup === -1) throw new InventoryEntryError(`unable to parse inventory entry: ${id}`);
  const group = rest.slice(beforeGroup + 1);
  const name = rest.slice(0, beforeGroup).replaceAll(colonTranscoded, ':');
  if (name.includes(separator)) throw new InventoryEntryError(`too many fields in inventory entry: ${id}`);
  if (name === '' || kind === '') throw new InventoryEntryError(`inventory entry without name or kind: ${id}`);
  if (v === '') throw new InventoryEntryError(`inventory entry without version: ${id}`);
  return { group, version: v, kind, namespace, name };
}

/** How an object is named in change sets, errors and events: `Kind/namespace/name`, or `Kind/name` when cluster-scoped. */
export function subjectOf(ref: Pick<ObjectRef, 'kind' | 'namespace' | 'name'>): string {
  return ref.namespace ? `${ref.kind}/${ref.namespace}/${ref.name}` : `${ref.kind}/${ref.name}`;
}

/**
 * The stale entries: those of `oldEntries` whose id is not in `newEntries`, in the order of
 * `oldEntries`, each once. The version is not compared (as in Flux): an object whose API version
 * changed between revisions is the same object, not a stale one.
 */
export function diff(oldEntries: readonly ResourceRef[], newEntries: readonly ResourceRef[]): ResourceRef[] {
  const current = new Set(newEntries.map((e) => e.id));
  const seen = new Set<string>();
  const stale: ResourceRef[] = [];
  for (const entry of oldEntries) {
    if (current.has(entry.id) || seen.has(entry.id)) continue;
    seen.add(entry.id);
    stale.push(entry);
  }
  return stale;
}
