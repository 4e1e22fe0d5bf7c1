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

  it('names the path and revision when the path does not exist', async () => {
    await expect(build(root, { path: './nope' }, 'main@sha1:abc', opts())).rejects.toThrow("kustomization path not found: './nope' in revision 'main@sha1:abc'");
  });
});
