// `--export` output is what the golden files under test/golden/ hold, byte for byte.
// Regenerate them after an intended change with: EDDY_UPDATE_GOLDEN=1 npx vitest run --root packages/cli test/export-golden.test.ts
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { installEddyCrds, testEnv, testNamespace } from '@eddy/testkit';
import type { ApiObject } from '@eddy/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { eddy, testClient } from './helpers.ts';

beforeAll(async () => {
  await installEddyCrds(testEnv());
});

const goldenDir = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const update = process.env['EDDY_UPDATE_GOLDEN'] === '1';

/** Compares `actual` with the golden file (or rewrites it when updating). */
async function expectGolden(file: string, actual: string): Promise<void> {
  const path = join(goldenDir, file);
  if (update) await writeFile(path, actual);
  expect(actual).toBe(await readFile(path, 'utf8'));
}

const cases: [string, string[]][] = [
  ['create-source-git.yaml', ['create', 'source', 'git', 'podinfo', '--url=https://github.com/stefanprodan/podinfo', '--branch=master', '--secret-ref=git-auth', '--ignore-paths=docs/,*.md', '--interval=5m', '--label=team=apps']],
  ['create-source-git-semver.yaml', ['create', 'source', 'git', 'podinfo', '-n', 'apps', '--url=ssh://git@example.invalid/podinfo.git', '--tag-semver=>=6.0.0 <7.0.0', '--recurse-submodules']],
  ['create-source-oci.yaml', ['create', 'source', 'oci', 'manifests', '--url=oci://registry.example.invalid/org/manifests', '--tag=latest', '--provider=aws', '--interval=10m']],
  [
    'create-kustomization.yaml',
    ['create', 'kustomization', 'apps', '--source=GitRepository/fleet.flux-system', '--path=./apps/production', '--prune', '--target-namespace=apps', '--depends-on=infra,flux-system/crds',
      '--health-check=Deployment/web.apps', '--health-check=HelmRelease/db.apps', '--wait', '--health-check-timeout=3m', '--retry-interval=30s', '--service-account=deployer',
      '--decryption-provider=sops', '--decryption-secret=sops-age', '--interval=10m'],
  ],
  ['create-kustomization-oci.yaml', ['create', 'ks', 'podinfo', '--source=OCIRepository/podinfo', '-n', 'apps']],
];

describe('--export golden files', () => {
  it.each(cases)('%s', async (file, args) => {
    const result = await eddy([...args, '--export']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    await expectGolden(file, result.stdout);
    // What --export prints, the API server accepts (server-side dry run).
    const ns = await testNamespace(testEnv(), 'cli-golden');
    for (const doc of parseAllDocuments(result.stdout)) {
      const obj = doc.toJS() as ApiObject;
      await testClient().apply({ ...obj, metadata: { ...obj.metadata, namespace: ns } }, { fieldManager: 'cli-test', dryRun: true });
    }
  });

  it('install.yaml: the components of eddy install --export (CRDs: those of packages/api/crds, listed by name)', async () => {
    const result = await eddy(['install', '--export']);
    expect(result.code).toBe(0);
    const docs = parseAllDocuments(result.stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: unknown });
    const crds = docs.filter((d) => d.kind === 'CustomResourceDefinition');
    for (const crd of crds) {
      const file = join(dirname(goldenDir), '..', '..', 'api', 'crds', `${(crd.spec as { group: string }).group}_${crd.metadata.name.split('.')[0]}.yaml`);
      const original = parseAllDocuments(await readFile(file, 'utf8'))[0]!.toJS() as { metadata: { labels?: Record<string, string> } };
      expect({ ...crd, metadata: { ...crd.metadata, labels: undefined } }).toEqual({ ...original, metadata: { ...original.metadata, labels: undefined } });
    }
    const summary = { crds: crds.map((c) => c.metadata.name) };
    const rest = docs.filter((d) => d.kind !== 'CustomResourceDefinition');
    await expectGolden('install.yaml', `${stringify(summary)}${rest.map((d) => `---\n${stringify(d, { lineWidth: 0 })}`).join('')}`);
  });

  it('every golden file belongs to a case', async () => {
    expect((await readdir(goldenDir)).sort()).toEqual([...cases.map(([f]) => f), 'install.yaml'].sort());
  });
});
