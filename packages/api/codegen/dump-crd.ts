/**
 * Prints a CRD file's names, columns and flattened schema (one line per property path), the
 * same rows the conformance check compares. For reading Flux's CRDs while writing the schema.
 *
 *   node packages/api/codegen/dump-crd.ts <crd.yaml>
 */
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { flatten } from './flatten.ts';

const file = process.argv[2];
if (!file) {
  console.error('usage: dump-crd.ts <crd.yaml>');
  process.exit(2);
}
const crd = YAML.parseAllDocuments(readFileSync(file, 'utf8'))
  .map((d) => d.toJS() as { kind?: string; spec: { names: unknown; scope: string; versions: Record<string, unknown>[] } })
  .find((d) => d?.kind === 'CustomResourceDefinition');
if (!crd) throw new Error(`${file}: no CustomResourceDefinition`);
for (const v of crd.spec.versions) {
  console.log(JSON.stringify({ names: crd.spec.names, scope: crd.spec.scope, version: v['name'], served: v['served'], storage: v['storage'] }));
  console.log(JSON.stringify({ additionalPrinterColumns: v['additionalPrinterColumns'], subresources: v['subresources'] }));
  const schema = (v['schema'] as { openAPIV3Schema: Record<string, unknown> }).openAPIV3Schema;
  for (const [path, row] of flatten(schema)) console.log(path, [...row].map(([k, x]) => `${k}=${x}`).join(' '));
}
