/** Turns a {@link KindSchema} into its CustomResourceDefinition (apiextensions.k8s.io/v1). */
import type { KindSchema, SchemaNode } from '../schema/dsl.ts';

/** A schema node as it appears in a CRD: without `typeName`, keys in a stable order. */
export function toOpenApi(node: SchemaNode): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const order: (keyof SchemaNode)[] = [
    'description', 'type', 'format', 'enum', 'default', 'pattern', 'minimum', 'maximum', 'minLength', 'maxLength',
    'minItems', 'maxItems', 'nullable', 'items', 'additionalProperties', 'properties', 'required',
    'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type',
    'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-validations',
  ];
  for (const key of order) {
    const value = node[key];
    if (value === undefined) continue;
    if (key === 'items' || key === 'additionalProperties') out[key] = toOpenApi(value as SchemaNode);
    else if (key === 'properties') {
      out[key] = Object.fromEntries(Object.entries(value as Record<string, SchemaNode>).map(([k, v]) => [k, toOpenApi(v)]));
    } else out[key] = value;
  }
  return out;
}

/** The CRD object for a kind: one served and stored version, with the status subresource when it has a status. */
export function crdFor(k: KindSchema): Record<string, unknown> {
  const openAPIV3Schema: SchemaNode = {
    description: k.description,
    type: 'object',
    properties: {
      apiVersion: {
        type: 'string',
        description: 'The versioned schema of this representation of the object (group/version).',
      },
      kind: { type: 'string', description: 'The REST resource this object represents, in CamelCase.' },
      metadata: { type: 'object' },
      spec: k.spec,
      ...(k.status ? { status: k.status } : {}),
    },
    ...(k.validations ? { 'x-kubernetes-validations': k.validations } : {}),
  };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    // Post-build substitution must leave CRDs alone (their schemas contain ${...} text).
    metadata: { name: `${k.plural}.${k.group}`, annotations: { 'kustomize.toolkit.fluxcd.io/substitute': 'disabled' } },
    spec: {
      group: k.group,
      names: {
        kind: k.kind,
        listKind: k.listKind,
        plural: k.plural,
        singular: k.singular,
        ...(k.shortNames?.length ? { shortNames: k.shortNames } : {}),
        categories: k.categories,
      },
      scope: k.scope,
      versions: [
        {
          name: k.version,
          served: true,
          storage: true,
          additionalPrinterColumns: k.printerColumns,
          schema: { openAPIV3Schema: toOpenApi(openAPIV3Schema) },
          subresources: k.status ? { status: {} } : {},
        },
      ],
    },
  };
}
