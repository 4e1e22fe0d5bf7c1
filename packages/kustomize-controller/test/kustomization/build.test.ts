// Pure parts of the build and fetch steps: overlay, generated kustomization, output parsing,
// archive entry safety and digest verification.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedKustomization, overlayKustomization, parseManifests } from '../../src/build.ts';
import { isSafeEntry, verifyDigest } from '../../src/fetch-artifact.ts';

describe('overlayKustomization', () => {
  it.each([
    [{}, undefined],
    [{ path: './apps' }, undefined],
    [
      { targetNamespace: 'prod', namePrefix: 'a-', nameSuffix: '-z', images: [{ name: 'nginx', newTag: '1.28' }], patches: [{ patch: 'x' }], commonMetadata: { labels: { team: 'a' }, annotations: { note: 'n' } } },
      {
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        namespace: 'prod',
        namePrefix: 'a-',
        nameSuffix: '-z',
        images: [{ name: 'nginx', newTag: '1.28' }],
        patches: [{ patch: 'x' }],
        labels: [{ pairs: { team: 'a' }, includeSelectors: false, includeTemplates: false }],
        commonAnnotations: { note: 'n' },
      },
    ],
  ])('%j → %j', (spec, expected) => {
    expect(overlayKustomization(spec)).toEqual(expected);
  });
});

describe('generatedKustomization', () => {
  it('lists every non-hidden YAML file recursively, sorted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eddy-gen-'));
    try {
      await mkdir(join(dir, 'sub'));
      await mkdir(join(dir, '.git'));
      for (const f of ['b.yaml', 'a.yml', 'README.md', '.hidden.yaml', 'sub/c.yaml', '.git/d.yaml']) await writeFile(join(dir, f), 'x');
      expect(await generatedKustomization(dir)).toEqual({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['a.yml', 'b.yaml', 'sub/c.yaml'] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('parseManifests', () => {
  it('parses documents and skips empty ones', () => {
    expect(parseManifests('a: 1\n---\n---\nb: 2\n')).toEqual([{ a: 1 }, { b: 2 }]);
  });
  it('names the malformed document', () => {
    expect(() => parseManifests('a: 1\n---\nb: [\n')).toThrow(/document 2/);
  });
});

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
