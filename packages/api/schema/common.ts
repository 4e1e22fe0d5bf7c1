/**
 * Definitions shared by several kinds (Flux's `meta` and `source` API packages): conditions,
 * object references, artifacts, interval and timeout durations.
 */
import { array, integer, map, object, string, type SchemaNode } from './dsl.ts';

/** Go duration pattern accepted for intervals: `1m`, `1h30m`, `500ms`, `1.5h`. */
export const durationPattern = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$';
/** Go duration pattern for timeouts (no hours). */
export const timeoutPattern = '^([0-9]+(\\.[0-9]+)?(ms|s|m))+$';

/** A reconciliation interval. */
export function interval(description: string): SchemaNode {
  return string(description, { pattern: durationPattern });
}

/** A reference to an object in the same namespace, by name (`LocalObjectReference`). */
export function localObjectReference(description: string): SchemaNode {
  return object(description, { name: string('Name of the referent.') }, {
    required: ['name'],
    typeName: 'LocalObjectReference',
    typeDoc: 'A reference to an object in the same namespace, by name.',
  });
}

/** One status condition, as `metav1.Condition`. */
export const condition: SchemaNode = object(
  'One aspect of the observed state of the object, in the Kubernetes condition format.',
  {
    lastTransitionTime: string('When the condition last changed status.', { format: 'date-time' }),
    message: string('Human-readable details about the last transition.', { maxLength: 32768 }),
    observedGeneration: integer('The metadata.generation the condition was computed from.', { format: 'int64', minimum: 0 }),
    reason: string('Machine-readable, CamelCase reason for the last transition.', {
      pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
      minLength: 1,
      maxLength: 1024,
    }),
    status: string('Status of the condition: True, False or Unknown.', { enum: ['True', 'False', 'Unknown'] }),
    type: string('Type of the condition in CamelCase, e.g. Ready.', {
      pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
      maxLength: 316,
    }),
  },
  { required: ['lastTransitionTime', 'message', 'reason', 'status', 'type'], typeName: 'Condition' },
);

/** `status.conditions`. */
export const conditions: SchemaNode = array('The latest observations of the object\'s state.', condition);

/** `status.observedGeneration`. */
export const observedGeneration: SchemaNode = integer('The last metadata.generation the controller acted on.', { format: 'int64' });

/** `status.lastHandledReconcileAt`: the last `reconcile.fluxcd.io/requestedAt` value handled. */
export const lastHandledReconcileAt: SchemaNode = string(
  'The value of the reconcile.fluxcd.io/requestedAt annotation the controller last handled.',
);

/** The Artifact a source produces (`status.artifact`). */
export function artifact(description: string): SchemaNode {
  return object(
    description,
    {
      digest: string('Digest of the artifact file, as <algorithm>:<checksum>.', { pattern: '^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$' }),
      lastUpdateTime: string('When the artifact was last updated.', { format: 'date-time' }),
      metadata: map('Annotations of the source, e.g. OCI annotations.', string()),
      path: string('Path of the artifact file relative to the root of the storage.'),
      revision: string('Source revision the artifact was built from, e.g. main@sha1:<hex> or v1.0.0@sha256:<hex>.'),
      size: integer('Size of the artifact file in bytes.', { format: 'int64' }),
      url: string('HTTP address from which the artifact can be downloaded.'),
    },
    {
      required: ['digest', 'lastUpdateTime', 'path', 'revision', 'url'],
      typeName: 'Artifact',
      typeDoc: 'A versioned tarball a source produced, served over HTTP by the source controller.',
    },
  );
}
