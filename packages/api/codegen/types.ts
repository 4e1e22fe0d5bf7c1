/** Generates the TypeScript types of every kind from the schema. */
import type { KindSchema, SchemaNode } from '../schema/dsl.ts';

const pascal = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

function doc(description: string | undefined, indent: string): string {
  if (!description) return '';
  const lines = description.trim().split('\n');
  if (lines.length === 1) return `${indent}/** ${lines[0]!.replaceAll('*/', '*\\/')} */\n`;
  return `${indent}/**\n${lines.map((l) => `${indent} * ${l.replaceAll('*/', '*\\/')}`.trimEnd()).join('\n')}\n${indent} */\n`;
}

/** Collects interfaces by name; the same name must always describe the same shape. */
class InterfaceSet {
  private readonly bodies = new Map<string, { doc: string; body: string }>();
  private readonly order: string[] = [];

  /** Adds an interface; its doc comment comes from the first use (uses describe it in context). */
  add(name: string, doc: string, body: string): void {
    const existing = this.bodies.get(name);
    if (existing === undefined) {
      this.bodies.set(name, { doc, body });
      this.order.push(name);
    } else if (existing.body !== body) {
      throw new Error(`schema: two different shapes are both named ${name}; give one a distinct typeName`);
    }
  }

  render(): string {
    return this.order.map((n) => `${this.bodies.get(n)!.doc}${this.bodies.get(n)!.body}`).join('\n');
  }
}

function tsType(node: SchemaNode, nameHint: string, out: InterfaceSet): string {
  if (node.properties) {
    const name = node.typeName ?? nameHint;
    const required = new Set(node.required ?? []);
    const fields = Object.entries(node.properties)
      .map(([prop, child]) => {
        const type = tsType(child, `${name}${pascal(prop)}`, out);
        const key = /^[A-Za-z_$][\w$]*$/.test(prop) ? prop : JSON.stringify(prop);
        return `${doc(child.description, '  ')}  ${key}${required.has(prop) ? '' : '?'}: ${type};\n`;
      })
      .join('');
    out.add(name, doc(node.typeDoc ?? node.description, ''), `export interface ${name} {\n${fields}}\n`);
    return name;
  }
  if (node.additionalProperties) return `Record<string, ${tsType(node.additionalProperties, `${nameHint}Value`, out)}>`;
  if (node.items) {
    const item = tsType(node.items, `${nameHint}Item`, out);
    return /^[\w.<>, ]+$/.test(item) && !item.includes('|') ? `${item}[]` : `Array<${item}>`;
  }
  switch (node.type) {
    case 'string':
      return node.enum ? node.enum.map((e) => JSON.stringify(e)).join(' | ') : 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'object':
      return 'Record<string, unknown>';
    default:
      return 'unknown';
  }
}

/** The whole generated types module for `kinds`. */
export function typesModule(kinds: KindSchema[], header: string): string {
  const out = new InterfaceSet();
  const roots: string[] = [];
  for (const k of kinds) {
    const spec = tsType({ ...k.spec, typeName: k.spec.typeName ?? `${k.kind}Spec` }, `${k.kind}Spec`, out);
    const status = k.status ? tsType({ ...k.status, typeName: k.status.typeName ?? `${k.kind}Status` }, `${k.kind}Status`, out) : undefined;
    roots.push(
      `${doc(k.description, '')}export interface ${k.kind} {\n` +
        `  apiVersion: '${k.group}/${k.version}';\n` +
        `  kind: '${k.kind}';\n` +
        `  metadata: ObjectMeta;\n` +
        `  spec: ${spec};\n` +
        (status ? `  status?: ${status};\n` : '') +
        '}\n',
    );
  }
  return `${header}\nimport type { ObjectMeta } from '../object-meta.ts';\n\n${out.render()}\n${roots.join('\n')}`;
}

/** The generated table of kinds: names and resource of every kind, for code that works over all. */
export function kindsModule(kinds: KindSchema[], header: string): string {
  const rows = kinds.map((k) => {
    const info = {
      group: k.group,
      version: k.version,
      kind: k.kind,
      plural: k.plural,
      singular: k.singular,
      shortNames: k.shortNames ?? [],
      categories: k.categories,
      namespaced: k.scope === 'Namespaced',
    };
    return `  ${JSON.stringify(info)},`;
  });
  return `${header}\nimport type { KindInfo } from '../kinds.ts';\n\n/** Every kind Eddy serves. */\nexport const kindTable: readonly KindInfo[] = [\n${rows.join('\n')}\n];\n`;
}
