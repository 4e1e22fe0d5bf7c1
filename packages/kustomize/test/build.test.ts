// Pure parts of the build step: overlay, generated kustomization, output parsing.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedKustomization, overlayKustomization, parseManifests } from '../src/build.ts';

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
  it('lists a sub-folder with its own kustomization as one resource, without its files (as Flux)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eddy-gen-'));
    try {
      for (const sub of ['flux-system', 'apps/deep', 'Kust']) await mkdir(join(dir, sub), { recursive: true });
      const files = ['apps.yaml', 'flux-system/kustomization.yaml', 'flux-system/gotk-sync.yaml', 'apps/deep/kustomization.yml', 'apps/deep/x.yaml', 'apps/y.yaml', 'Kust/Kustomization', 'Kust/z.yaml'];
      for (const f of files) await writeFile(join(dir, f), 'x');
      expect((await generatedKustomization(dir))['resources']).toEqual(['Kust', 'apps/deep', 'apps/y.yaml', 'apps.yaml', 'flux-system']);
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
