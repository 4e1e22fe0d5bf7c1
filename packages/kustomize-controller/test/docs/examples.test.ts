// docs/kustomizations.md is applied for real: its `# file:` blocks become the artifact of the
// GitRepository `flux-system`, its other objects are created in a test namespace (namespaces
// rewritten to it), and every Kustomization it shows must become Ready with the effects the
// page describes.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { ObjectClient } from '@eddy/runtime';
import { kubeConfig, repoRoot, testEnv, testNamespace } from '@eddy/testkit';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kustomizeTestbed } from '../fixtures/kustomize-manager.ts';
import { readyAt } from '../fixtures/kustomizations.ts';

const bed = kustomizeTestbed();

interface Example {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown>;
}

async function pageExamples(): Promise<{ files: Record<string, string>; objects: Example[] }> {
  const page = await readFile(join(repoRoot(), 'docs', 'kustomizations.md'), 'utf8');
  const files: Record<string, string> = {};
  const objects: Example[] = [];
  for (const [, block = ''] of page.matchAll(/```yaml\n([\s\S]*?)```/g)) {
    const file = /^# file: (\S+)\n/.exec(block);
    if (file?.[1]) files[file[1]] = block.slice(file[0].length);
    else objects.push(parse(block) as Example);
  }
  return { files, objects };
}

describe('docs/kustomizations.md', () => {
  it('every Kustomization of the page becomes Ready from the page’s files, with the effects described', async () => {
    const { files, objects } = await pageExamples();
    const kustomizations = objects.filter((o) => o.kind === 'Kustomization');
    expect(kustomizations.map((k) => k.metadata.name)).toEqual(['podinfo', 'frontend', 'settings', 'certificates', 'apps']);

    const ns = await testNamespace(testEnv(), 'ks-docs');
    await bed.start(ns);
    const rev = 'main@sha1:d0c5d0c5d0c5d0c5d0c5d0c5d0c5d0c5d0c5d0c5';
    await bed.source().publish(bed.kubeConfig(), ns, 'flux-system', rev, files);
    const client = new ObjectClient(kubeConfig(testEnv()));
    for (const o of objects) {
      const obj = structuredClone(o);
      if (obj.metadata.namespace) obj.metadata.namespace = ns;
      if (obj.spec?.['targetNamespace']) obj.spec['targetNamespace'] = ns;
      await client.apply(obj as unknown as Parameters<ObjectClient['apply']>[0], { fieldManager: 'docs-test' });
    }
    await Promise.all(kustomizations.map((k) => readyAt(ns, k.metadata.name, rev, { timeoutMs: 120_000 })));

    const core = kubeConfig(testEnv()).makeApiClient(CoreV1Api);
    const frontend = await core.readNamespacedConfigMap({ namespace: ns, name: 'staging-frontend' });
    expect(frontend.data).toEqual({ color: 'green', logLevel: 'debug' });
    expect(frontend.metadata?.labels).toMatchObject({ team: 'web' });
    expect((await core.readNamespacedConfigMap({ namespace: ns, name: 'cluster-settings' })).data).toEqual({ cluster: 'prod-eu-1', region: 'eu-central-1', environment: 'production' });
    expect((await core.readNamespacedConfigMap({ namespace: ns, name: 'frontend-after-settings' })).data).toEqual({ color: 'blue' });
    expect((await core.readNamespacedService({ namespace: ns, name: 'podinfo' })).spec?.ports?.[0]?.port).toBe(9898);
  }, 180_000);
});
