// Pure parts of fetching an artifact: archive entry safety and digest verification.
import { describe, expect, it } from 'vitest';
import { isSafeEntry, verifyDigest } from '../src/fetch-artifact.ts';

describe('isSafeEntry', () => {
  it.each([
    ['apps/a.yaml', 'File', undefined, true],
    ['../a.yaml', 'File', undefined, false],
    ['/etc/passwd', 'File', undefined, false],
    ['a/../../b', 'File', undefined, false],
    ['a/link', 'SymbolicLink', '../b.yaml', true],
    ['a/link', 'SymbolicLink', '../../b.yaml', false],
    ['a/link', 'SymbolicLink', '/etc/passwd', false],
    ['a/hard', 'Link', 'b.yaml', true],
    ['a/hard', 'Link', '../b.yaml', false],
  ])('%s (%s → %s) is safe: %s', (path, type, linkpath, safe) => {
    expect(isSafeEntry(path, type, linkpath)).toBe(safe);
  });
});

describe('verifyDigest', () => {
  const body = Buffer.from('hello');
  const good = 'sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824';
  it('accepts the right digest', () => {
    expect(() => verifyDigest({ digest: good, url: 'http://x' }, body)).not.toThrow();
  });
  it('names both digests on a mismatch', () => {
    expect(() => verifyDigest({ digest: `sha256:${'0'.repeat(64)}`, url: 'http://x' }, body)).toThrow(`computed digest ${good} doesn't match advertised 'sha256:${'0'.repeat(64)}'`);
  });
});
