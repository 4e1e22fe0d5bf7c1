// Every YAML example of docs/sources/ is accepted by the real API server with Eddy's CRDs
// (server-side dry run, in a test namespace), so the docs never show a manifest that fails.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { installEddyCrds, kubeConfig, repoRoot, testEnv, testNamespace } from '@eddy/testkit';
import { beforeAll, describe, expect, it } from 'vitest';

const docsDir = join(repoRoot(), 'docs', 'sources');

async function examples(): Promise<{ page: string; obj: KubernetesObject }[]> {
  const out: { page: string; obj: KubernetesObject }[] = [];
  for (const page of (await readdir(docsDir)).filter((f) => f.endsWith('.md'))) {
    const text = await readFile(join(docsDir, page), 'utf8');
    for (const block of text.matchAll(/```yaml\n([\s\S]*?)```/g)) {
      for (const doc of parseAllDocuments(block[1]!)) out.push({ page, obj: doc.toJS() as KubernetesObject });
    }
  }
  return out;
}

const all = await examples();

beforeAll(async () => {
  await installEddyCrds(testEnv());
});

describe('docs/sources examples', () => {
  it('cover both source kinds', () => {
    expect(new Set(all.map((e) => e.obj.kind))).toEqual(new Set(['GitRepository', 'OCIRepository', 'Secret']));
  });

  it.each(all.map((e) => [`${e.page}: ${e.obj.kind}/${e.obj.metadata?.name}`, e.obj] as const))('%s is accepted', async (_, obj) => {
    const env = testEnv();
    const ns = await testNamespace(env, 'docs');
    const api = KubernetesObjectApi.makeApiClient(kubeConfig(env));
    const created = await api.create({ ...obj, metadata: { ...obj.metadata, namespace: ns } }, undefined, 'All');
    expect(created.metadata?.name).toBe(obj.metadata?.name);
  });
});
