// The pure parts of SOPS decryption: formats, markers, metadata, identities, emitting, and the
// refusals that need no real ciphertext (no spec.decryption, no age recipient, key groups).
import { ReconcileError } from '@eddy/runtime';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { describe, expect, it } from 'vitest';
import { Decryptor, detectSopsFormat, emitPlain, hasSopsMetadata, parseAgeIdentities, sopsFormatForPath } from '../src/decrypt.ts';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const encryptedSecret = (sops: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'db', namespace: 'apps' },
  data: { password: 'ENC[AES256_GCM,data:abc=,iv:def=,tag:ghi=,type:str]' },
  sops: { mac: 'ENC[AES256_GCM,data:m=,iv:i=,tag:t=,type:str]', lastmodified: '2026-01-01T00:00:00Z', version: '3.13.3', ...sops },
});

describe('sopsFormatForPath', () => {
  it.each([
    ['app.env', 'dotenv'],
    ['conf.yaml', 'yaml'],
    ['conf.yml', 'yaml'],
    ['conf.json', 'json'],
    ['.dockerconfigjson', 'json'],
    ['settings.ini', 'ini'],
    ['tls.crt', 'binary'],
    ['password', 'binary'],
  ])('%s is %s', (path, format) => {
    expect(sopsFormatForPath(path)).toBe(format);
  });
});

describe('detectSopsFormat', () => {
  it.each([
    ['A=ENC[x]\nsops_mac=ENC[AES256_GCM,data:x]\n', 'dotenv'],
    ['{\n\t"sops": {\n\t\t"mac": "ENC[AES256_GCM,data:x]"\n\t}\n}', 'json'],
    ['a: ENC[x]\nsops:\n    mac: ENC[AES256_GCM,data:x]\n', 'yaml'],
    ['[sops]\nmac = ENC[x]\n', 'ini'],
    ['plain: text\nmac: not encrypted\n', undefined],
    ['', undefined],
  ])('%j', (text, format) => {
    expect(detectSopsFormat(text)).toBe(format);
  });
});

describe('hasSopsMetadata', () => {
  it('is true only for a top-level sops mapping with a MAC', () => {
    expect(hasSopsMetadata(encryptedSecret({}))).toBe(true);
    expect(hasSopsMetadata({ kind: 'ConfigMap', data: { 'config.yaml': 'sops:\n  mac: ENC[AES256_GCM,data:x]\n' } })).toBe(false);
    expect(hasSopsMetadata({ kind: 'Widget', spec: { sops: { mac: 'ENC[x]' } } })).toBe(false);
    expect(hasSopsMetadata({ kind: 'Widget', sops: { mac: '' } })).toBe(false);
    expect(hasSopsMetadata({ kind: 'Widget', sops: 'yes' })).toBe(false);
  });
});

describe('parseAgeIdentities', () => {
  it('reads every *.agekey value, several identities a value, comments and blank lines allowed', async () => {
    const [a, b, c] = [await generateIdentity(), await generateIdentity(), await generateIdentity()];
    const data = {
      'one.agekey': b64(`# created: today\n# public key: ${await identityToRecipient(a)}\n${a}\n\n`),
      'two.agekey': b64(`${b}\r\n${c}\r\n`),
      'sops.asc': b64('-----BEGIN PGP PRIVATE KEY BLOCK-----'),
      'token': b64('not a key'),
    };
    expect(await parseAgeIdentities('sops-keys', data)).toEqual([
      { secretKey: a, recipient: await identityToRecipient(a) },
      { secretKey: b, recipient: await identityToRecipient(b) },
      { secretKey: c, recipient: await identityToRecipient(c) },
    ]);
  });

  it('names the Secret, key and line of something that is not an identity, without quoting it', async () => {
    const broken = `AGE-SECRET-KEY-1${'Q'.repeat(58)}`;
    const err: unknown = await parseAgeIdentities('sops-keys', { 'k.agekey': b64(`# ok\n${broken}\n`) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReconcileError);
    expect(err).toMatchObject({ reason: 'BuildFailed', message: "failed to import 'k.agekey' data from decryption Secret 'sops-keys': line 2 is not an age identity (AGE-SECRET-KEY-1…)" });
    await expect(parseAgeIdentities('s', { 'k.agekey': b64('AGE-PLUGIN-YUBIKEY-1XYZ') })).rejects.toThrow("'k.agekey' data from decryption Secret 's': line 1 is an age plugin identity, which Eddy does not support");
  });
});

describe('emitPlain', () => {
  it('writes each format as SOPS does', () => {
    expect(emitPlain({ USER: 'admin', MULTI: 'a\nb', N: 5 }, 'dotenv', 'x')).toBe('USER=admin\nMULTI=a\\nb\nN=5\n');
    expect(emitPlain({ data: '-----BEGIN CERT-----\n' }, 'binary', 'x')).toBe('-----BEGIN CERT-----\n');
    expect(emitPlain({ a: { b: 1 } }, 'json', 'x')).toBe('{\n\t"a": {\n\t\t"b": 1\n\t}\n}\n');
    expect(emitPlain({ a: { b: 1 } }, 'yaml', 'x')).toBe('a:\n  b: 1\n');
  });

  it('refuses what the format cannot hold', () => {
    expect(() => emitPlain({ nested: { a: 1 } }, 'dotenv', "'app.env'")).toThrow("failed to decrypt 'app.env': the value of 'nested' is not a scalar, so it cannot be written as dotenv");
    expect(() => emitPlain({ other: 'x' }, 'binary', "'tls.crt'")).toThrow('failed to decrypt \'tls.crt\': it holds no binary data (a "data" string)');
  });
});

describe('Decryptor refusals', () => {
  const keys = async () => {
    const secretKey = await generateIdentity();
    return { secretName: 'sops-keys', identities: [{ secretKey, recipient: await identityToRecipient(secretKey) }] };
  };

  it('without spec.decryption, an encrypted object fails naming it (ReconciliationFailed, as Flux) and plain objects pass', async () => {
    const plain = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { 'x.yaml': 'sops:\n  mac: ENC[AES256_GCM,data:x]\n' } };
    expect(await new Decryptor(undefined).decryptObjects([plain])).toEqual([plain]);
    const err: unknown = await new Decryptor(undefined).decryptObjects([plain, encryptedSecret({ age: [] })]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReconcileError);
    expect(err).toMatchObject({ reason: 'ReconciliationFailed', message: "'Secret/apps/db' is SOPS-encrypted: set spec.decryption so that it is decrypted before it is applied" });
  });

  it('an object annotated decrypt: disabled is left alone', async () => {
    const obj = encryptedSecret({});
    (obj.metadata as Record<string, unknown>)['annotations'] = { 'kustomize.toolkit.fluxcd.io/decrypt': 'Disabled' };
    expect(await new Decryptor(undefined).decryptObjects([obj])).toEqual([obj]);
  });

  it.each([
    [{ pgp: [{ fp: 'ABCD' }], hc_vault: [{ vault_address: 'https://vault' }] }, "failed to decrypt 'Secret/apps/db': it is encrypted for pgp, hc_vault only; Eddy decrypts age only (add an age recipient with 'sops updatekeys')"],
    [{ kms: [{ arn: 'arn:aws:kms:x' }], age: [] }, "failed to decrypt 'Secret/apps/db': it is encrypted for kms only; Eddy decrypts age only (add an age recipient with 'sops updatekeys')"],
    [{ key_groups: [{ age: [{ recipient: 'age1x' }] }] }, "failed to decrypt 'Secret/apps/db': SOPS key groups (Shamir secret sharing) are not supported; encrypt for age recipients directly"],
    [{ age: [{ recipient: 'age1aaa', enc: 'x' }, { recipient: 'age1bbb', enc: 'y' }] }, "failed to decrypt 'Secret/apps/db': no age identity in Secret 'sops-keys' matches; encrypted for recipients age1aaa, age1bbb"],
  ])('metadata %j', async (sops, message) => {
    const err: unknown = await new Decryptor(await keys()).decryptObjects([encryptedSecret(sops)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReconcileError);
    expect(err).toMatchObject({ reason: 'BuildFailed', message });
  });

  it('without secretRef there is no identity, and the message says so', async () => {
    const err: unknown = await new Decryptor({ identities: [] }).decryptObjects([encryptedSecret({ age: [{ recipient: 'age1aaa', enc: 'x' }] })]).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'BuildFailed', message: "failed to decrypt 'Secret/apps/db': spec.decryption.secretRef is not set, so there is no age identity; encrypted for recipients age1aaa" });
  });

  it('a Secret data value encrypted as INI is refused by name', async () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'n' }, data: { 'app.ini': b64('[sops]\nmac = ENC[x]\n') } };
    await expect(new Decryptor(await keys()).decryptObjects([secret])).rejects.toThrow("failed to decrypt 'Secret/n/s' data 'app.ini': SOPS INI files are not supported; Eddy decrypts YAML, JSON, dotenv and binary files");
  });
});
