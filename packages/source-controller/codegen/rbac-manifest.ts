/**
 * Generates config/rbac.yaml (namespace flux-system) from src/rbac.ts.
 *
 *   node packages/source-controller/codegen/rbac-manifest.ts          write it
 *   node packages/source-controller/codegen/rbac-manifest.ts --check  fail when it differs
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { generatedManifest, writeOrCheckGenerated } from '@eddy/runtime';
import { sourceControllerRbac } from '../src/rbac.ts';

/** Where the manifest lives. */
export const rbacManifestPath = join(dirname(fileURLToPath(import.meta.url)), '..', 'config', 'rbac.yaml');

/** The manifest's content. */
export function rbacManifest(): string {
  const docs = sourceControllerRbac('flux-system').map((o) => YAML.stringify(o, { lineWidth: 0 }));
  return generatedManifest('packages/source-controller/codegen/rbac-manifest.ts from src/rbac.ts', docs);
}

if (import.meta.main && !(await writeOrCheckGenerated(rbacManifestPath, rbacManifest(), process.argv))) {
  console.error('config/rbac.yaml is out of date: run npm run rbac:source');
  process.exit(1);
}
