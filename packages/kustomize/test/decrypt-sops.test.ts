// SOPS decryption against fixtures encrypted here with the real sops and age-keygen, built with the
// real kustomize: an encrypted Secret manifest, a secretGenerator reading an encrypted .env and
// encrypted files, a Secret data value that is an encrypted file, the wrong key, plain passthrough,
// paths leaving the source, and the decryption Secret read from the real cluster.
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ObjectClient, ReconcileError } from '@eddy/runtime';
import { ageKeygen, kubeConfig, sopsEncrypt, testEnv, testNamespace, type AgeKey } from '@eddy/testkit';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { build } from '../src/build.ts';
import { Decryptor, loadDecryptor, parseAgeIdentities } from '../src/decrypt.ts';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const secretManifest = `apiVersion: v1
kind: Secret
metadata:
  name: db
type: Opaque
stringData:
  password: hunter2
data:
  token: ${b64('t0ken')}
`;

let good: AgeKey;
let other: AgeKey;
let scratch: string;
let root: string;
beforeAll(async () => {
  [good, other] = [await ageKeygen(testEnv()), await ageKeygen(testEnv())];
});
beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'eddy-decrypt-'));
  root = join(scratch, 'source');
  await mkdir(root);
});
afterEach(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function put(files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

const encrypt = (text: string, format: Parameters<typeof sopsEncrypt>[3], opts: { encryptedRegex?: string } = {}) => sopsEncrypt(testEnv(), text, [good.recipient], format, opts);
const decryptorFor = async (...keys: AgeKey[]) => new Decryptor({ secretName: 'sops-keys', identities: await parseAgeIdentities('sops-keys', { 'keys.agekey': b64(keys.map((k) => k.identity).join('\n')) }) });
const buildOpts = (): Parameters<typeof build>[3] => ({ kustomizeBin: testEnv().tools.kustomize, env: { PATH: '/usr/bin:/bin' }, timeoutMs: 30_000, signal: new AbortController().signal });

/** Decrypts sources, builds with the Kustomization's transformations, decrypts objects: the reconciler's order. */
async function render(decryptor: Decryptor, path = './app'): Promise<Record<string, unknown>[]> {
  await decryptor.decryptSources(root, path);
  return await decryptor.decryptObjects(await build(root, { path, targetNamespace: 'team-a', namePrefix: 'prod-' }, 'main@sha1:abc', buildOpts()));
}

describe('decryption with real sops ciphertext', () => {
  it('decrypts an encrypted Secret manifest after the build changed its name and namespace', async () => {
    await put({ 'app/secret.yaml': await encrypt(secretManifest, 'yaml', { encryptedRegex: '^(data|stringData)$' }) });
    expect(await render(await decryptorFor(other, good))).toEqual([
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'prod-db', namespace: 'team-a' }, type: 'Opaque', stringData: { password: 'hunter2' }, data: { token: b64('t0ken') } },
    ]);
  });

  it('decrypts the .env and files a secretGenerator reads before the build, in each format', async () => {
    const kustomization = `secretGenerator:
  - name: app
    envs: [app.env]
    files: [tls.crt, config.yaml, app-settings.json=settings.json]
generatorOptions:
  disableNameSuffixHash: true
`;
    await put({
      'app/kustomization.yaml': kustomization,
      'app/app.env': await encrypt('USER=admin\nPASS=s3cret\n', 'dotenv'),
      'app/tls.crt': await encrypt('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', 'binary'),
      'app/config.yaml': await encrypt('db:\n  host: pg\n  port: 5432\n', 'yaml'),
      'app/settings.json': await encrypt('{"debug": true}', 'json'),
    });
    const [secret] = await render(await decryptorFor(good));
    const data = Object.fromEntries(Object.entries((secret?.['data'] ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    expect(data).toEqual({
      USER: 'admin',
      PASS: 's3cret',
      'tls.crt': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
      'config.yaml': 'db:\n  host: pg\n  port: 5432\n',
      'app-settings.json': '{\n\t"debug": true\n}\n',
    });
  });

  it('decrypts a Secret data value that is itself an encrypted file, into the format of its key', async () => {
    const encryptedFile = await encrypt('user: admin\npass: s3cret\n', 'yaml');
    await put({ 'app/secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata:\n  name: files\ndata:\n  creds.yaml: ${b64(encryptedFile)}\n  plain: ${b64('as is')}\n` });
    const [secret] = await render(await decryptorFor(good));
    expect(secret?.['data']).toEqual({ 'creds.yaml': b64('user: admin\npass: s3cret\n'), plain: b64('as is') });
  });

  it('with the wrong key names the file and its recipients, never key material', async () => {
    await put({ 'app/kustomization.yaml': 'secretGenerator:\n  - name: app\n    envs: [app.env]\n', 'app/app.env': await encrypt('PASS=s3cret\n', 'dotenv') });
    const err: unknown = await render(await decryptorFor(other)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReconcileError);
    expect(err).toMatchObject({ reason: 'BuildFailed', message: `failed to decrypt 'app/app.env': no age identity in Secret 'sops-keys' matches; encrypted for recipients ${good.recipient}` });
    expect(String((err as Error).message)).not.toMatch(/AGE-SECRET-KEY/i);
  });

  it('with the wrong key for an encrypted manifest names the object', async () => {
    await put({ 'app/secret.yaml': await encrypt(secretManifest, 'yaml', { encryptedRegex: '^(data|stringData)$' }) });
    await expect(render(await decryptorFor(other))).rejects.toThrow(`failed to decrypt 'Secret/team-a/prod-db': no age identity in Secret 'sops-keys' matches; encrypted for recipients ${good.recipient}`);
  });

  it('leaves plain files and objects untouched, including text that mentions sops', async () => {
    const files = {
      'app/kustomization.yaml': 'resources: [cm.yaml]\nsecretGenerator:\n  - name: app\n    envs: [app.env]\n    files: [notes.yaml]\n',
      'app/app.env': 'USER=admin\n',
      'app/notes.yaml': 'sops:\n  mac: not-encrypted\n',
      'app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  sops.yaml: "sops:\\n  mac: ENC[AES256_GCM,data:x]\\n"\n',
    };
    await put(files);
    const objects = await render(await decryptorFor(good));
    expect(objects.map((o) => o['data'])).toEqual([{ 'sops.yaml': 'sops:\n  mac: ENC[AES256_GCM,data:x]\n' }, { USER: b64('admin'), 'notes.yaml': b64('sops:\n  mac: not-encrypted\n') }]);
    for (const [path, content] of Object.entries(files)) expect(await readFile(join(root, path), 'utf8')).toBe(content);
  });

  it('follows resources and components into other kustomizations', async () => {
    await put({
      'app/kustomization.yaml': 'resources: [../base]\n',
      'base/kustomization.yaml': 'secretGenerator:\n  - name: base\n    envs: [base.env]\n',
      'base/base.env': await encrypt('KEY=deep\n', 'dotenv'),
    });
    const [secret] = await render(await decryptorFor(good));
    expect(secret?.['data']).toEqual({ KEY: b64('deep') });
  });

  it('refuses a generator file outside the source, by path or by symlink', async () => {
    await writeFile(join(scratch, 'outside.env'), await encrypt('K=v\n', 'dotenv'));
    await put({ 'app/kustomization.yaml': 'secretGenerator:\n  - name: app\n    envs: [../../outside.env]\n' });
    await expect(render(await decryptorFor(good))).rejects.toThrow("'app/kustomization.yaml' refers to '../../outside.env', which is outside the source");
    await put({ 'app/kustomization.yaml': 'secretGenerator:\n  - name: app\n    envs: [link.env]\n' });
    await symlink(join(scratch, 'outside.env'), join(root, 'app', 'link.env'));
    await expect(render(await decryptorFor(good))).rejects.toThrow("'app/kustomization.yaml' refers to 'link.env', which is outside the source");
  });

  it('without spec.decryption names an encrypted generator file, unless the generator opts out', async () => {
    const encrypted = await encrypt('PASS=s3cret\n', 'dotenv');
    await put({ 'app/kustomization.yaml': 'secretGenerator:\n  - name: app\n    envs: [app.env]\n', 'app/app.env': encrypted });
    await expect(render(new Decryptor(undefined))).rejects.toThrow("failed to decrypt 'app/app.env': it is SOPS-encrypted and the Kustomization has no spec.decryption");
    await put({ 'app/kustomization.yaml': 'secretGenerator:\n  - name: app\n    envs: [app.env]\n    options:\n      annotations:\n        kustomize.toolkit.fluxcd.io/decrypt: disabled\n' });
    await render(new Decryptor(undefined));
    expect(await readFile(join(root, 'app/app.env'), 'utf8')).toBe(encrypted);
  });
});

describe('loadDecryptor', () => {
  it('reads the identities of the Secret in the cluster, and names a missing Secret', async () => {
    const ns = await testNamespace(testEnv(), 'decrypt');
    await kubeConfig(testEnv())
      .makeApiClient(CoreV1Api)
      .createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'sops-keys' }, stringData: { 'identity.agekey': `${other.identity}\n${good.identity}\n` } } });
    const client = new ObjectClient(kubeConfig(testEnv()));
    await put({ 'app/secret.yaml': await encrypt(secretManifest, 'yaml', { encryptedRegex: '^(data|stringData)$' }) });
    const [secret] = await render(await loadDecryptor(client, ns, { provider: 'sops', secretRef: { name: 'sops-keys' } }));
    expect(secret?.['stringData']).toEqual({ password: 'hunter2' });
    const err: unknown = await loadDecryptor(client, ns, { provider: 'sops', secretRef: { name: 'absent' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReconcileError);
    expect(err).toMatchObject({ reason: 'BuildFailed', message: `decryption Secret '${ns}/absent' not found` });
  });
});
