/**
 * Field-manager cleanup: hands the fields that imperative edits (`kubectl edit`, `kubectl
 * scale`, `kubectl label`, client-side `kubectl apply`) took over to our own Apply entry, so the
 * next server-side apply reverts values we set and removes fields we do not set. Without it,
 * a field an Update added stays forever: server-side apply only removes fields the applier owns.
 */
import { FluxClientSideApplyManager } from '@eddy/api';
import type { JsonPatchOperation } from '@eddy/runtime';
import { escapePointer } from './diff.ts';
import { isRecord, type KubeObject, type ManagedFieldsEntry } from './object.ts';

/** The annotation client-side `kubectl apply` keeps its last applied configuration in. */
export const lastAppliedConfigAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';

/** A field manager whose fields the cleanup takes over, optionally only for one operation. */
export interface FieldManagerMatch {
  /** The manager's name; `kubectl` also matches every `kubectl-<verb>` manager (kubectl-edit, kubectl-scale…). */
  name: string;
  /** `Apply` or `Update`; any operation when absent. */
  operation?: 'Apply' | 'Update';
}

/**
 * The managers the cleanup takes fields from: kubectl's (any operation; `kubectl-*` included),
 * `before-first-apply` (Update), our own manager's Updates, and each `overrideManagers` name (a
 * Kustomization's `--override-manager`). `flux-client-side-apply` is Flux's documented escape
 * hatch and is never taken over, even when listed.
 */
export function cleanupManagers(fieldManager: string, overrideManagers: readonly string[] = []): FieldManagerMatch[] {
  return [
    { name: 'kubectl' },
    { name: 'before-first-apply', operation: 'Update' },
    { name: fieldManager, operation: 'Update' },
    ...overrideManagers.filter((name) => name !== fieldManager).map((name) => ({ name })),
  ];
}

/** Whether the managedFields entry belongs to one of `managers`. */
export function matchesManager(entry: ManagedFieldsEntry, managers: readonly FieldManagerMatch[]): boolean {
  const manager = entry.manager ?? '';
  if (manager === FluxClientSideApplyManager) return false;
  // Status is written through its own subresource and never applied by us.
  if (entry.subresource === 'status') return false;
  return managers.some(
    (m) => (manager === m.name || (m.name === 'kubectl' && manager.startsWith('kubectl-'))) && (!m.operation || m.operation === entry.operation),
  );
}

/** The union of two managedFields field sets (FieldsV1: nested objects keyed `f:`/`k:`/`v:`/`i:`). */
export function mergeFieldSets(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const existing = out[key];
    out[key] = isRecord(existing) && isRecord(value) ? mergeFieldSets(existing, value) : isRecord(existing) ? existing : value;
  }
  return out;
}

/**
 * The JSON Patch that moves the fields of `managers` in the live object's managedFields into
 * `fieldManager`'s Apply entry (creating it when absent) and removes the
 * `kubectl.kubernetes.io/last-applied-configuration` annotation; undefined when there is
 * nothing to clean up. The patch starts with a test of the resourceVersion, so it fails (409/
 * 422) rather than overwrite managedFields another writer changed meanwhile. `now` stamps a
 * new entry.
 */
export function managedFieldsPatch(
  live: KubeObject,
  fieldManager: string,
  managers: readonly FieldManagerMatch[],
  now: Date,
): JsonPatchOperation[] | undefined {
  const entries = live.metadata.managedFields ?? [];
  const taken = entries.filter((e) => matchesManager(e, managers));
  const annotated = live.metadata.annotations?.[lastAppliedConfigAnnotation] !== undefined;
  if (taken.length === 0 && !annotated) return undefined;

  const ops: JsonPatchOperation[] = [{ op: 'test', path: '/metadata/resourceVersion', value: live.metadata.resourceVersion }];
  if (taken.length > 0) {
    const isOurs = (e: ManagedFieldsEntry): boolean => e.manager === fieldManager && e.operation === 'Apply' && !e.subresource;
    const ours = entries.find(isOurs);
    let fields = ours?.fieldsV1 ?? {};
    for (const e of taken) fields = mergeFieldSets(fields, e.fieldsV1 ?? {});
    const merged: ManagedFieldsEntry = ours
      ? { ...ours, fieldsV1: fields }
      : { manager: fieldManager, operation: 'Apply', apiVersion: live.apiVersion, time: rfc3339(now), fieldsType: 'FieldsV1', fieldsV1: fields };
    const kept = entries.filter((e) => !taken.includes(e)).map((e) => (isOurs(e) ? merged : e));
    if (!ours) kept.push(merged);
    ops.push({ op: 'replace', path: '/metadata/managedFields', value: kept });
  }
  if (annotated) ops.push({ op: 'remove', path: `/metadata/annotations/${escapePointer(lastAppliedConfigAnnotation)}` });
  return ops;
}

/** A time as Kubernetes writes it: RFC 3339 in UTC with whole seconds. */
function rfc3339(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
