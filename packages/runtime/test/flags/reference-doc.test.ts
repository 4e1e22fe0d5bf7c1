// The committed flag reference is what the flag definitions generate.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { flagsReferencePage, flagsReferencePath } from '../../codegen/flags-reference.ts';

describe('docs/reference/controller-flags.md', () => {
  it('is up to date with the flag definitions (else run: npm run docs:flags)', async () => {
    expect(await readFile(flagsReferencePath, 'utf8')).toBe(flagsReferencePage());
  });
});
