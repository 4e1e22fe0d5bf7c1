// build() with the real kustomize binary: a folder without kustomization.yaml gets one, and the
// Kustomization's transformations apply through an overlay, also at the artifact's root.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testEnv } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { build } from '../src/build.ts';

let scratch: string;
let root: string;
beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'eddy-build-'));
  root = join(scratch, 'source');
  await mkdir(join(root, 'app'), { recursive: true });
  await writeFile(join(root, 'app', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n');
});
afterEach(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const opts = (): Parameters<typeof build>[3] => ({
  kustomizeBin: testEnv().tools.kustomize,
  env: { PATH: '/usr/bin:/bin' },
  timeoutMs: 30_000,
  signal: new AbortController().signal,
});

describe('build with the real kustomize', () => {
  it.each([['./'], [''], ['./app']])('applies targetNamespace and namePrefix with path %j', async (path) => {
    const objects = await build(root, { path, targetNamespace: 'team-a', namePrefix: 'prod-' }, 'main@sha1:abc', opts());
    expect(objects).toEqual([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'prod-settings', namespace: 'team-a' }, data: { a: 'b' } }]);
  });

  describe('spec.components', () => {
    const component = 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nlabels:\n  - pairs: { tier: web }\nresources: [extra.yaml]\n';
    beforeEach(async () => {
      await mkdir(join(root, 'components', 'web'), { recursive: true });
      await writeFile(join(root, 'components', 'web', 'kustomization.yaml'), component);
      await writeFile(join(root, 'components', 'web', 'extra.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n');
    });

    it('composes components (relative to the path) with the path’s resources, before the spec’s own transformations', async () => {
      const objects = await build(root, { path: './app', components: ['../components/web'], namePrefix: 'p-' }, 'main@sha1:abc', opts());
      expect(objects).toEqual([
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'p-extra', labels: { tier: 'web' } } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'p-settings', labels: { tier: 'web' } }, data: { a: 'b' } },
      ]);
    });

    it('fails on a missing component unless ignoreMissingComponents, and refuses one outside the source', async () => {
      await expect(build(root, { path: './app', components: ['../components/absent'] }, 'main@sha1:abc', opts())).rejects.toThrow("component '../components/absent' of spec.components not found in './app'");
      const objects = await build(root, { path: './app', components: ['../components/absent', '../components/web'], ignoreMissingComponents: true }, 'main@sha1:abc', opts());
      expect(objects.map((o) => (o['metadata'] as { name: string }).name)).toEqual(['extra', 'settings']);
      await expect(build(root, { path: './app', components: ['../../elsewhere'] }, 'main@sha1:abc', opts())).rejects.toThrow("component '../../elsewhere' of spec.components is outside the source");
    });
  });

  it('names the path and revision when the path does not exist', async () => {
    await expect(build(root, { path: './nope' }, 'main@sha1:abc', opts())).rejects.toThrow("kustomization path not found: './nope' in revision 'main@sha1:abc'");
  });
});
