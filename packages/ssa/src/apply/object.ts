/**
 * Objects as the resource manager handles them: plain JSON with apiVersion, kind and metadata,
 * as `kustomize build` outputs them and the API server returns them.
 */

import type { ManagedFieldsEntry } from '@eddy/runtime';

// The runtime's ObjectClient returns managedFields in this shape; one definition serves both.
export type { ManagedFieldsEntry };

/** The metadata fields the resource manager reads or writes. */
export interface KubeObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  uid?: string;
  managedFields?: ManagedFieldsEntry[];
  [field: string]: unknown;
}

/** A Kubernetes object of any kind, as plain JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: KubeObjectMeta;
  [field: string]: unknown;
}

/**
 * The object as a {@link KubeObject}, checked to have apiVersion, kind and metadata.name.
 * Throws an error naming what is missing.
 */
export function toKubeObject(obj: Record<string, unknown>): KubeObject {
  const { apiVersion, kind, metadata } = obj;
  const name = isRecord(metadata) ? metadata['name'] : undefined;
  if (typeof kind !== 'string' || !kind) throw new Error(`object has no kind (apiVersion ${String(apiVersion)}, name ${String(name)})`);
  if (typeof apiVersion !== 'string' || !apiVersion) throw new Error(`${kind}/${String(name)} has no apiVersion`);
  if (typeof name !== 'string' || !name) throw new Error(`${kind} object has no metadata.name`);
  return obj as KubeObject;
}

/**
 * The object's subject in Flux's change-log format: `Kind/namespace/name`, or `Kind/name` for
 * a cluster-scoped object (e.g. `Deployment/apps/web`, `Namespace/apps`).
 */
export function subjectOf(obj: { kind: string; metadata: { name: string; namespace?: string } }): string {
  const { name, namespace } = obj.metadata;
  return namespace ? `${obj.kind}/${namespace}/${name}` : `${obj.kind}/${name}`;
}

/** Whether `value` is a plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A Secret's `stringData` folded into `data` (base64), `stringData` winning as the API server
 * does. The server never stores `stringData`, so applying it as written would show as drift on
 * every dry-run; Flux converts it the same way. Other objects are returned as they are.
 */
export function withStringDataAsData(obj: KubeObject): KubeObject {
  const stringData = obj['stringData'];
  if (obj.kind !== 'Secret' || obj.apiVersion !== 'v1' || !isRecord(stringData)) return obj;
  const data: Record<string, unknown> = { ...(isRecord(obj['data']) ? obj['data'] : {}) };
  for (const [key, value] of Object.entries(stringData)) data[key] = Buffer.from(String(value), 'utf8').toString('base64');
  const converted: Record<string, unknown> = { ...obj, data };
  delete converted['stringData'];
  return converted as KubeObject;
}
