/** Definitions shared by the notification kinds (Provider, Alert, Receiver). */
import { map, string, type SchemaNode } from '../dsl.ts';

/** The API group of the notification kinds. */
export const notificationGroup = 'notification.toolkit.fluxcd.io';

/** The kinds of Flux object an Alert can forward events of and a Receiver can reconcile. */
export const notifiableKinds: string[] = [
  'Bucket',
  'GitRepository',
  'Kustomization',
  'HelmRelease',
  'HelmChart',
  'HelmRepository',
  'ImageRepository',
  'ImagePolicy',
  'ImageUpdateAutomation',
  'OCIRepository',
  'ArtifactGenerator',
  'ExternalArtifact',
];

/**
 * The fields of a reference to Flux objects of one kind, by name (or `*` for all) in any namespace
 * (Flux's `CrossNamespaceObjectReference`), in alphabetical order with the use's `extra` fields
 * among them. `owner` is the kind holding the reference, whose namespace is the default one.
 */
export function crossNamespaceObjectReferenceFields(owner: string, extra: Record<string, SchemaNode> = {}): Record<string, SchemaNode> {
  const fields: Record<string, SchemaNode> = {
    apiVersion: string('API version of the objects; defaults to the one the controller knows for the kind.'),
    kind: string('Kind of the objects.', { enum: notifiableKinds }),
    matchLabels: map('Only objects carrying all these labels; requires name to be *.', string()),
    name: string('Name of the object, or * for every object of the kind.', { minLength: 1, maxLength: 253 }),
    namespace: string(`Namespace of the objects; defaults to the ${owner}'s namespace.`, { minLength: 1, maxLength: 253 }),
    ...extra,
  };
  return Object.fromEntries(Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
