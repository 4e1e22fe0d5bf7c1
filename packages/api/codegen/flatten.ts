/**
 * Flattening a CRD's schema into one row per property path, the unit in which Eddy's CRDs are
 * compared with Flux's. Paths read `spec.ref.branch`; `[]` steps into list items and `{}` into
 * map values.
 */

/** The attributes compared at each path (descriptions are ours and are not compared). */
export const comparedAttributes = [
  'type', 'format', 'enum', 'default', 'pattern', 'minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems',
  'nullable', 'required', 'x-kubernetes-validations', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys', 'x-kubernetes-map-type',
] as const;

/** One compared attribute. */
export type Attribute = (typeof comparedAttributes)[number];

/** Path → attribute → canonical JSON of the value. */
export type FlatSchema = Map<string, Map<Attribute, string>>;

/** JSON with object keys sorted (and undefined members left out), so equal values compare equal. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Flattens an OpenAPI v3 schema node (as found in a CRD) into rows. */
export function flatten(node: Record<string, unknown>, path = '', out: FlatSchema = new Map()): FlatSchema {
  const row = new Map<Attribute, string>();
  for (const attr of comparedAttributes) {
    let value = node[attr];
    if (value === undefined) continue;
    // Order of `required` and of `enum` carries no meaning.
    if ((attr === 'required' || attr === 'enum') && Array.isArray(value)) value = [...(value as unknown[])].sort();
    row.set(attr, canonical(value));
  }
  out.set(path || '.', row);
  const props = node['properties'] as Record<string, Record<string, unknown>> | undefined;
  for (const [name, child] of Object.entries(props ?? {})) flatten(child, path ? `${path}.${name}` : name, out);
  const items = node['items'] as Record<string, unknown> | undefined;
  if (items) flatten(items, `${path}[]`, out);
  const additional = node['additionalProperties'];
  if (additional && typeof additional === 'object') flatten(additional as Record<string, unknown>, `${path}{}`, out);
  return out;
}
