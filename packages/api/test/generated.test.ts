// The generated CRDs, types and reference docs are exactly what the schema generates.
import { describe, expect, it } from 'vitest';
import { drift } from '../codegen/generate.ts';

describe('generated files', () => {
  it('are up to date with packages/api/schema (else run: npm run api:generate)', async () => {
    expect(await drift()).toEqual([]);
  });
});
