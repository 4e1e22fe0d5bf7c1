/**
 * The small language the API schema is written in. Each kind is described once, with these
 * builders, in `schema/<group>/<kind>.ts`; `codegen/generate.ts` turns the descriptions into
 * the CRD manifests, the TypeScript types and the API reference.
 *
 * A node is a structural OpenAPI v3 schema as Kubernetes accepts it in a CRD, plus `typeName`
 * (the name of the generated TypeScript interface for an object node; never emitted).
 */

/** A CEL validation rule on a node (`x-kubernetes-validations`). */
export interface ValidationRule {
  rule: string;
  message?: string;
}

/** One node of a structural schema. */
export interface SchemaNode {
  type?: 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array';
  description?: string;
  format?: string;
  pattern?: string;
  enum?: (string | number)[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  items?: SchemaNode;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: SchemaNode;
  nullable?: boolean;
  'x-kubernetes-validations'?: ValidationRule[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  /** Name of the generated TypeScript interface (object nodes); not part of the CRD. */
  typeName?: string;
  /** Doc comment of that interface when the node's description is specific to one use. */
  typeDoc?: string;
}

/** Options every builder takes: the node's constraints other than type and description. */
export type NodeOptions = Omit<SchemaNode, 'type' | 'description' | 'properties' | 'items' | 'additionalProperties'>;

/** A string field. */
export function string(description?: string, opts: NodeOptions = {}): SchemaNode {
  return { type: 'string', ...(description ? { description } : {}), ...opts };
}

/** An integer field (`format: int32` / `int64` where the API says so). */
export function integer(description?: string, opts: NodeOptions = {}): SchemaNode {
  return { type: 'integer', ...(description ? { description } : {}), ...opts };
}

/** A number field. */
export function number(description?: string, opts: NodeOptions = {}): SchemaNode {
  return { type: 'number', ...(description ? { description } : {}), ...opts };
}

/** A boolean field. */
export function boolean(description?: string, opts: NodeOptions = {}): SchemaNode {
  return { type: 'boolean', ...(description ? { description } : {}), ...opts };
}

/** An object with known properties; `opts.required` lists the ones that must be set. */
export function object(description: string, properties: Record<string, SchemaNode>, opts: NodeOptions = {}): SchemaNode {
  return { type: 'object', description, properties, ...opts };
}

/** A list. */
export function array(description: string, items: SchemaNode, opts: NodeOptions = {}): SchemaNode {
  return { type: 'array', description, items, ...opts };
}

/** A map from string keys to `values` (`additionalProperties`). */
export function map(description: string, values: SchemaNode, opts: NodeOptions = {}): SchemaNode {
  return { type: 'object', description, additionalProperties: values, ...opts };
}

/** Free-form JSON kept as given (`x-kubernetes-preserve-unknown-fields`), e.g. Helm values. */
export function freeform(description: string, opts: NodeOptions = {}): SchemaNode {
  return { description, 'x-kubernetes-preserve-unknown-fields': true, ...opts };
}

/** The same node with another description (for shared definitions used in several places). */
export function describe(node: SchemaNode, description: string): SchemaNode {
  return { ...node, description };
}

/** A column of `kubectl get`. */
export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  format?: string;
  priority?: number;
}

/** One API kind: names, printer columns and the schema of its spec and status. */
export interface KindSchema {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  listKind: string;
  shortNames?: string[];
  categories: string[];
  scope: 'Namespaced' | 'Cluster';
  /** What the kind is, in a sentence or two (the CRD's top-level description). */
  description: string;
  printerColumns: PrinterColumn[];
  spec: SchemaNode;
  /** Absent for kinds with no status at all (Provider and Alert v1beta3): no status subresource either. */
  status?: SchemaNode;
  /** Rules on the whole object (top-level `x-kubernetes-validations`), if any. */
  validations?: ValidationRule[];
}

/** Declares a kind (identity function that checks the shape and fills `listKind`/`singular`). */
export function kind(k: Omit<KindSchema, 'listKind' | 'singular'> & Partial<Pick<KindSchema, 'listKind' | 'singular'>>): KindSchema {
  return { ...k, listKind: k.listKind ?? `${k.kind}List`, singular: k.singular ?? k.kind.toLowerCase() };
}
