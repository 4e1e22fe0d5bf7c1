// The committed CLI reference is what the command definitions generate.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { cliReferencePage, cliReferencePath } from '../codegen/cli-reference.ts';

describe('docs/reference/cli.md', () => {
  it('is up to date with the command definitions (else run: npm run docs:cli)', async () => {
    expect(await readFile(cliReferencePath, 'utf8')).toBe(cliReferencePage());
  });

  it('documents every verb the issue asks for', () => {
    const page = cliReferencePage();
    for (const heading of ['install', 'uninstall', 'check', 'version', 'create source git', 'create source oci', 'create kustomization', 'get all', 'get kustomization', 'reconcile kustomization', 'suspend source git', 'resume kustomization', 'tree kustomization', 'events', 'export kustomization', 'build kustomization', 'diff kustomization', 'run']) {
      expect(page).toContain(`\n## eddy ${heading}\n`);
    }
  });
});
