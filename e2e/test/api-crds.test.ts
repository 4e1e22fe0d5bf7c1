// Eddy's CRDs on the real API server: the valid corpus is accepted (with the schema's
// defaults applied), the invalid corpus is refused naming the field, kubectl shows Flux's
// columns and explains fields with our descriptions.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiException, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { installEddyCrds, kubeConfig, repoRoot, runCommand, testEnv, testNamespace } from '@eddy/testkit';
import { beforeAll, describe, expect, it } from 'vitest';

const apiDir = join(repoRoot(), 'packages', 'api');

interface CorpusObject extends KubernetesObject {
  spec?: Record<string, unknown>;
}

async function corpus(name: string): Promise<CorpusObject[]> {
  const text = await readFile(join(apiDir, 'test', 'corpus', name), 'utf8');
  return parseAllDocuments(text).map((d) => d.toJS() as CorpusObject);
}

async function kubectl(args: string[]): Promise<string> {
  const env = testEnv();
  return await runCommand(env.tools.kubectl, ['--kubeconfig', env.kubeconfig, ...args]);
}

/** The API server's message for a refused create, or undefined when it was accepted. */
async function createError(api: KubernetesObjectApi, obj: KubernetesObject): Promise<string | undefined> {
  try {
    await api.create(obj);
    return undefined;
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    const body = typeof err.body === 'string' ? err.body : JSON.stringify(err.body);
    return `${err.code} ${(JSON.parse(body) as { message?: string }).message ?? body}`;
  }
}

const valid = await corpus('valid.yaml');
const invalid = await corpus('invalid.yaml');

beforeAll(async () => {
  await installEddyCrds(testEnv());
});

describe('Eddy CRDs on the API server', () => {
  it('has a valid corpus covering all 13 kinds', () => {
    expect(new Set(valid.map((o) => o.kind)).size).toBe(13);
  });

  it('accepts every object of the valid corpus and applies the schema defaults', async () => {
    const env = testEnv();
    const ns = await testNamespace(env, 'crd-valid');
    const api = KubernetesObjectApi.makeApiClient(kubeConfig(env));
    const refused: string[] = [];
    for (const obj of valid) {
      const error = await createError(api, { ...obj, metadata: { ...obj.metadata, namespace: ns } });
      if (error) refused.push(`${obj.kind}/${obj.metadata?.name}: ${error}`);
    }
    expect(refused).toEqual([]);

    const podinfo = (await api.read({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'podinfo', namespace: ns } })) as CorpusObject;
    expect(podinfo.spec?.['timeout']).toBe('60s');
    const ssh = (await api.read({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'podinfo-ssh', namespace: ns } })) as CorpusObject;
    expect(ssh.spec?.['timeout']).toBe('2m');
  });

  it.each(invalid.map((o) => [`${o.kind} ${o.metadata?.name}`, o] as const))('refuses %s, naming the field', async (_, obj) => {
    const env = testEnv();
    const ns = await testNamespace(env, 'crd-invalid');
    const api = KubernetesObjectApi.makeApiClient(kubeConfig(env));
    const error = await createError(api, { ...obj, metadata: { ...obj.metadata, namespace: ns } });
    expect(error).toBeDefined();
    expect(error).toMatch(/^422 /);
    const field = obj.metadata?.annotations?.['eddy.test/field'];
    const message = obj.metadata?.annotations?.['eddy.test/message'];
    expect(error).toContain(`${field}: `);
    expect(error).toContain(message);
  });

  it('shows the same kubectl get columns as Flux', async () => {
    const env = testEnv();
    const ns = await testNamespace(env, 'crd-columns');
    const api = KubernetesObjectApi.makeApiClient(kubeConfig(env));
    for (const obj of valid.filter((o) => o.metadata?.name === 'podinfo' && ['GitRepository', 'Kustomization'].includes(o.kind!))) {
      await api.create({ ...obj, metadata: { ...obj.metadata, namespace: ns } });
    }
    const out = await kubectl(['get', 'gitrepositories,kustomizations', '-n', ns]);
    const headers = out
      .split('\n')
      .filter((l) => l.startsWith('NAME'))
      .map((l) => l.trim().split(/\s+/));
    expect(headers).toEqual([
      ['NAME', 'URL', 'AGE', 'READY', 'STATUS'],
      ['NAME', 'AGE', 'READY', 'STATUS'],
    ]);
    expect(out).toContain('gitrepository.source.toolkit.fluxcd.io/podinfo');
    expect(out).toContain('https://github.com/stefanprodan/podinfo');
    const short = await kubectl(['get', 'gitrepo,ks', '-n', ns, '-o', 'name']);
    expect(short.trim().split('\n').sort()).toEqual(['gitrepository.source.toolkit.fluxcd.io/podinfo', 'kustomization.kustomize.toolkit.fluxcd.io/podinfo']);
  });

  it('explains fields with our descriptions', async () => {
    const crd = parseAllDocuments(await readFile(join(apiDir, 'crds', 'source.toolkit.fluxcd.io_gitrepositories.yaml'), 'utf8'))[0]!.toJS() as {
      spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: { ref: { description: string } } } } } } }[] };
    };
    const ours = crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec.properties.ref.description;
    const out = await kubectl(['explain', 'gitrepository.spec.ref']);
    const squash = (s: string): string => s.replace(/\s+/g, ' ').trim();
    expect(squash(out)).toContain(squash(ours));
    expect(out).toMatch(/GROUP:\s+source\.toolkit\.fluxcd\.io/);
    expect(out).toMatch(/branch\s+<string>/);
  });
});
