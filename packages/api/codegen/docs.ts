/** Generates the API reference pages (docs/reference/api/) from the schema. */
import type { KindSchema, SchemaNode } from '../schema/dsl.ts';

function typeLabel(node: SchemaNode): string {
  if (node['x-kubernetes-preserve-unknown-fields'] && !node.type) return 'any (JSON)';
  if (node.items) return `[]${typeLabel(node.items)}`;
  if (node.additionalProperties) return `map[string]${typeLabel(node.additionalProperties)}`;
  if (node.properties) return 'object';
  return node.format ? `${node.type ?? 'any'} (${node.format})` : (node.type ?? 'any');
}

function constraints(node: SchemaNode, required: boolean): string {
  const c: string[] = [];
  if (required) c.push('**required**');
  if (node.default !== undefined) c.push(`default \`${JSON.stringify(node.default)}\``);
  if (node.enum) c.push(`one of ${node.enum.map((e) => `\`${String(e)}\``).join(', ')}`);
  if (node.pattern) c.push(`pattern \`${node.pattern.replaceAll('|', '\\|')}\``);
  if (node.minimum !== undefined) c.push(`min ${node.minimum}`);
  if (node.maximum !== undefined) c.push(`max ${node.maximum}`);
  if (node.minLength !== undefined) c.push(`min length ${node.minLength}`);
  if (node.maxLength !== undefined) c.push(`max length ${node.maxLength}`);
  if (node.minItems !== undefined) c.push(`min items ${node.minItems}`);
  if (node.maxItems !== undefined) c.push(`max items ${node.maxItems}`);
  for (const v of node['x-kubernetes-validations'] ?? []) c.push(`rule: ${v.message ?? `\`${v.rule.replaceAll('|', '\\|')}\``}`);
  return c.join('; ');
}

function rows(node: SchemaNode, path: string, required: boolean, out: string[]): void {
  const description = (node.description ?? '').replace(/\s*\n\s*/g, ' ').replaceAll('|', '\\|');
  out.push(`| \`${path}\` | ${typeLabel(node)} | ${constraints(node, required)} | ${description} |`);
  const req = new Set(node.required ?? []);
  for (const [name, child] of Object.entries(node.properties ?? {})) rows(child, `${path}.${name}`, req.has(name), out);
  if (node.items?.properties) {
    const itemReq = new Set(node.items.required ?? []);
    for (const [name, child] of Object.entries(node.items.properties)) rows(child, `${path}[].${name}`, itemReq.has(name), out);
  }
  if (node.additionalProperties?.properties) rows(node.additionalProperties, `${path}{}`, false, out);
}

/** The reference page of one kind. */
export function kindPage(k: KindSchema, header: string): string {
  const fieldRows: string[] = [];
  rows(k.spec, 'spec', false, fieldRows);
  if (k.status) rows(k.status, 'status', false, fieldRows);
  return [
    header,
    `# ${k.kind}`,
    '',
    k.description,
    '',
    `- API: \`${k.group}/${k.version}\`, kind \`${k.kind}\`, ${k.scope === 'Namespaced' ? 'namespaced' : 'cluster-scoped'}`,
    `- Resource: \`${k.plural}\`${k.shortNames?.length ? `; short names ${k.shortNames.map((s) => `\`${s}\``).join(', ')}` : ''}; categories ${k.categories.map((c) => `\`${c}\``).join(', ')}`,
    `- \`kubectl get ${k.plural}\` columns: ${k.printerColumns.map((c) => `${c.name}${c.priority ? ' (wide)' : ''}`).join(', ')}`,
    '',
    '| field | type | constraints | description |',
    '|---|---|---|---|',
    ...fieldRows,
    '',
  ].join('\n');
}

/** The index page listing every kind. */
export function indexPage(kinds: KindSchema[], header: string): string {
  return [
    header,
    '# API reference',
    '',
    'Every kind Eddy serves, with the same group, version and fields as Flux v2.9.',
    '',
    '| kind | API version | page |',
    '|---|---|---|',
    ...kinds.map((k) => `| ${k.kind} | \`${k.group}/${k.version}\` | [${k.kind}](${k.kind.toLowerCase()}.md) |`),
    '',
  ].join('\n');
}
