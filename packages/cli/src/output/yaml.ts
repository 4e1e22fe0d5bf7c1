/** YAML as `--export` and `eddy export` print it: one `---`-led document per object, no line folding. */
import { stringify } from 'yaml';

/** The objects as a multi-document YAML stream. */
export function yamlDocuments(objects: readonly unknown[]): string {
  return objects.map((o) => `---\n${stringify(o, { lineWidth: 0 })}`).join('');
}
