// SOPS decryption through the reconciler, with fixtures encrypted by the real sops for keys from
// the real age-keygen: an encrypted Secret manifest and a secretGenerator reading an encrypted
// .env apply as plaintext; a revision encrypted for another key fails naming the file and its
// recipients, with no key material, and leaves the earlier Secrets in place. The Kustomization of
// docs/kustomizations/sops.md is accepted by the API server.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CoreV1Api, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { ageKeygen, kubeConfig, repoRoot, sopsEncrypt, testEnv, testNamespace } from '@eddy/testkit';
import { describe, expect, it } from 'vitest';
import { kustomizeTestbed } from '../fixtures/kustomize-manager.ts';
import { createKustomization as create, readyAt, readyFalse, readyMessage, requestReconcile } from '../fixtures/kustomizations.ts';

const bed = kustomizeTestbed();

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const decoded = (data: Record<string, string> | undefined) => Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
const secretManifest = (password: string) => `apiVersion: v1
kind: Secret
metadata:
  name: db
type: Opaque
data:
  password: ${b64(password)}
`;
const kustomization = `resources: [secret.yaml]
secretGenerator:
  - name: app-env
    envs: [app.env]
generatorOptions:
  disableNameSuffixHash: true
`;

/** The source files of one revision, encrypted for `recipient`. */
async function encryptedRevision(recipient: string, password: string, env: string): Promise<Record<string, string>> {
  return {
    'app/kustomization.yaml': kustomization,
    'app/secret.yaml': await sopsEncrypt(testEnv(), secretManifest(password), [recipient], 'yaml', { encryptedRegex: '^(data|stringData)$' }),
    'app/app.env': await sopsEncrypt(testEnv(), env, [recipient], 'dotenv'),
  };
}

describe('SOPS decryption', () => {
  it('applies age-encrypted Secrets as plaintext; the wrong key fails naming file and recipients and keeps what was applied', async () => {
    const env = testEnv();
    const ns = await testNamespace(env, 'ks-sops');
    await bed.start(ns);
    const [good, other] = [await ageKeygen(env), await ageKeygen(env)];
    const core = kubeConfig(env).makeApiClient(CoreV1Api);
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'sops-age' }, stringData: { 'identity.agekey': `# the cluster's key\n${good.identity}\n` } } });

    const rev1 = 'main@sha1:1111111111111111111111111111111111111111';
    await bed.source().publish(bed.kubeConfig(), ns, 'repo', rev1, await encryptedRevision(good.recipient, 'hunter2', 'USER=admin\nPASS=s3cret\n'));
    await create(ns, 'app', { path: './app', decryption: { provider: 'sops', secretRef: { name: 'sops-age' } } });
    await readyAt(ns, 'app', rev1);
    expect(decoded((await core.readNamespacedSecret({ namespace: ns, name: 'db' })).data)).toEqual({ password: 'hunter2' });
    expect(decoded((await core.readNamespacedSecret({ namespace: ns, name: 'app-env' })).data)).toEqual({ USER: 'admin', PASS: 's3cret' });

    const rev2 = 'main@sha1:2222222222222222222222222222222222222222';
    await bed.source().publish(bed.kubeConfig(), ns, 'repo', rev2, await encryptedRevision(other.recipient, 'changed', 'USER=admin\nPASS=changed\n'));
    await requestReconcile(ns, 'app', 'rev2');
    const failed = await readyFalse(ns, 'app', 'BuildFailed');
    const message = readyMessage(failed) ?? '';
    expect(message).toBe(`failed to decrypt 'app/app.env': no age identity in Secret 'sops-age' matches; encrypted for recipients ${other.recipient}`);
    expect(message).not.toMatch(/AGE-SECRET-KEY/i);
    expect(failed.status?.lastAttemptedRevision).toBe(rev2);
    expect(failed.status?.lastAppliedRevision).toBe(rev1);
    expect(decoded((await core.readNamespacedSecret({ namespace: ns, name: 'db' })).data)).toEqual({ password: 'hunter2' });
    expect(decoded((await core.readNamespacedSecret({ namespace: ns, name: 'app-env' })).data)).toEqual({ USER: 'admin', PASS: 's3cret' });
  });

  it('names a missing decryption Secret', async () => {
    const env = testEnv();
    const ns = await testNamespace(env, 'ks-sops-missing');
    await bed.start(ns);
    const rev = 'main@sha1:3333333333333333333333333333333333333333';
    await bed.source().publish(bed.kubeConfig(), ns, 'repo', rev, { 'app/secret.yaml': secretManifest('plain') });
    await create(ns, 'app', { path: './app', decryption: { provider: 'sops', secretRef: { name: 'absent' } } });
    expect(readyMessage(await readyFalse(ns, 'app', 'BuildFailed'))).toBe(`decryption Secret '${ns}/absent' not found`);
  });

  it('the docs example Kustomization is accepted by the API server', async () => {
    const page = await readFile(join(repoRoot(), 'docs', 'kustomizations', 'sops.md'), 'utf8');
    const objects = [...page.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1] ?? '') as KubernetesObject & { spec?: unknown }).filter((o) => o.kind === 'Kustomization');
    expect(objects.map((o) => o.spec)).toMatchObject([{ decryption: { provider: 'sops', secretRef: { name: 'sops-age' } } }]);
    const ns = await testNamespace(testEnv(), 'ks-sops-docs');
    const api = KubernetesObjectApi.makeApiClient(kubeConfig(testEnv()));
    const created = await api.create({ ...objects[0], metadata: { ...objects[0]?.metadata, namespace: ns } }, undefined, 'All');
    expect(created.metadata?.name).toBe('apps');
  });
});
