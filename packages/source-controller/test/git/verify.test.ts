import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ReconcileError, gitAuthFromSecret, type GitAuth, type SecretData } from '@eddy/runtime';
import { runCommand, testEnv } from '@eddy/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkout, type CheckoutResult } from '../../src/git/checkout.ts';
import { allowedSigners, commitSignature, signatureFormat, tagSignature, verifySignatures, type VerifyOptions } from '../../src/git/verify.ts';
import { basicAuthData, newRepo, tempDir, testGitEnv, type WorkTree } from './fixtures.ts';

const env = testEnv();
const timeoutMs = 30_000;

/**
 * A repository with, on branch main: an SSH-signed commit tagged with an SSH-signed tag
 * `ssh-v1`, a lightweight tag `light` on it; then a PGP-signed commit with a PGP-signed tag
 * `pgp-v1`; then an unsigned commit (the tip).
 */
const s = {} as {
  tree: WorkTree;
  auth: GitAuth;
  sshPub: string;
  sshFingerprint: string;
  otherSshPub: string;
  pgpArmored: Buffer;
  pgpBinary: Buffer;
  pgpFingerprint: string;
  otherPgpArmored: Buffer;
  sshCommit: string;
  pgpCommit: string;
  unsignedCommit: string;
  gnupgHomes: string[];
};

async function makePgpKey(dir: string, uid: string): Promise<{ home: string; fingerprint: string; armored: Buffer; binary: Buffer }> {
  const home = join(dir, uid.split(' ')[0] ?? 'k');
  await runCommand('mkdir', ['-m', '700', home]);
  const gpgEnv = { ...process.env, GNUPGHOME: home };
  await runCommand('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', uid, 'ed25519', 'sign', 'never'], { env: gpgEnv });
  const colons = await runCommand('gpg', ['--batch', '--with-colons', '--list-secret-keys'], { env: gpgEnv });
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(colons)?.[1] ?? '';
  const armored = Buffer.from(await runCommand('gpg', ['--batch', '--armor', '--export', fingerprint], { env: gpgEnv }));
  await runCommand('gpg', ['--batch', '--output', join(dir, `${fingerprint}.gpg`), '--export', fingerprint], { env: gpgEnv });
  return { home, fingerprint, armored, binary: await readFile(join(dir, `${fingerprint}.gpg`)) };
}

beforeAll(async () => {
  const dir = await tempDir('eddy-sig-');
  await runCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'signer@eddy.dev', '-f', join(dir, 'signer')]);
  await runCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'other@eddy.dev', '-f', join(dir, 'other')]);
  const sshFingerprint = (await runCommand('ssh-keygen', ['-l', '-f', join(dir, 'signer.pub')])).split(' ')[1] ?? '';
  const pgp = await makePgpKey(dir, 'Signer <signer@eddy.dev>');
  const otherPgp = await makePgpKey(dir, 'Other <other@eddy.dev>');

  const tree = await newRepo(env, { gitEnv: testGitEnv({ GNUPGHOME: pgp.home }) });
  const ssh = ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${join(dir, 'signer')}`];
  const openpgp = ['-c', 'gpg.format=openpgp', '-c', `user.signingkey=${pgp.fingerprint}`];
  await tree.commit({ 'a.txt': 'ssh\n' }, 'ssh signed');
  await tree.git(...ssh, 'commit', '--quiet', '--amend', '--no-edit', '-S');
  const sshCommit = await tree.git('rev-parse', 'HEAD');
  await tree.git(...ssh, 'tag', '-s', 'ssh-v1', '-m', 'ssh tag');
  await tree.git('tag', 'light');
  await tree.git('add', '--all');
  await tree.git(...openpgp, 'commit', '--quiet', '--allow-empty', '-S', '-m', 'pgp signed');
  const pgpCommit = await tree.git('rev-parse', 'HEAD');
  await tree.git(...openpgp, 'tag', '-s', 'pgp-v1', '-m', 'pgp tag');
  const unsignedCommit = await tree.commit({ 'b.txt': 'plain\n' }, 'unsigned');
  await tree.push('HEAD:refs/heads/main', '--tags');

  Object.assign(s, {
    tree,
    auth: gitAuthFromSecret(tree.repo.httpUrl, basicAuthData(env)),
    sshPub: await readFile(join(dir, 'signer.pub'), 'utf8'),
    sshFingerprint,
    otherSshPub: await readFile(join(dir, 'other.pub'), 'utf8'),
    pgpArmored: pgp.armored,
    pgpBinary: pgp.binary,
    pgpFingerprint: pgp.fingerprint,
    otherPgpArmored: otherPgp.armored,
    sshCommit,
    pgpCommit,
    unsignedCommit,
    gnupgHomes: [pgp.home, otherPgp.home],
  });
}, 120_000);

afterAll(async () => {
  // Signing started a gpg-agent per keyring; stop them.
  for (const home of s.gnupgHomes ?? []) await runCommand('gpgconf', ['--kill', 'all'], { env: { ...process.env, GNUPGHOME: home } }).catch(() => undefined);
});

async function checkoutTag(tag: string): Promise<{ dir: string; result: CheckoutResult }> {
  const dir = join(await tempDir(), 'c');
  return { dir, result: await checkout(s.tree.repo.httpUrl, { tag }, dir, { auth: s.auth, timeoutMs }) };
}

async function checkoutMain(): Promise<{ dir: string; result: CheckoutResult }> {
  const dir = join(await tempDir(), 'c');
  return { dir, result: await checkout(s.tree.repo.httpUrl, { branch: 'main' }, dir, { auth: s.auth, timeoutMs }) };
}

function verifyOpts(keys: SecretData, extra: Partial<VerifyOptions> = {}): VerifyOptions {
  return { keys, secretName: 'verify', timeoutMs, ...extra };
}

async function verificationError(p: Promise<unknown>): Promise<{ reason: string; message: string }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ReconcileError)) throw new Error(`expected a ReconcileError, got ${String(err)}`);
  return { reason: err.reason, message: err.message };
}

describe('SSH signatures', () => {
  it('verifies the commit, the tag, or both', async () => {
    const { dir, result } = await checkoutTag('ssh-v1');
    expect(result.commit).toBe(s.sshCommit);
    const keys = { 'signer.sshpub': s.sshPub, 'other.sshpub': s.otherSshPub };
    const signer = `signer.sshpub (ED25519 ${s.sshFingerprint})`;
    const commitSig = { object: 'commit', id: s.sshCommit, format: 'ssh', signer };
    const tagSig = { object: 'tag', id: 'ssh-v1', format: 'ssh', signer };
    expect(await verifySignatures(dir, result.commit, verifyOpts(keys, { tag: result.tag, mode: 'HEAD' }))).toEqual({
      mode: 'HEAD',
      signatures: [commitSig],
      message: `verified SSH signature of commit '${s.sshCommit}' by ${signer}`,
    });
    expect((await verifySignatures(dir, result.commit, verifyOpts(keys, { tag: result.tag, mode: 'head' }))).signatures).toEqual([commitSig]);
    expect((await verifySignatures(dir, result.commit, verifyOpts(keys, { tag: result.tag, mode: 'Tag' }))).signatures).toEqual([tagSig]);
    expect(await verifySignatures(dir, result.commit, verifyOpts(keys, { tag: result.tag, mode: 'TagAndHEAD' }))).toEqual({
      mode: 'TagAndHEAD',
      signatures: [tagSig, commitSig],
      message: `verified SSH signature of tag 'ssh-v1' by ${signer}; verified SSH signature of commit '${s.sshCommit}' by ${signer}`,
    });
  });

  it('defaults to HEAD', async () => {
    const { dir, result } = await checkoutTag('ssh-v1');
    expect((await verifySignatures(dir, result.commit, verifyOpts({ 'signer.sshpub': s.sshPub }))).mode).toBe('HEAD');
  });

  it('refuses a signature by a key that is not in the Secret', async () => {
    const { dir, result } = await checkoutTag('ssh-v1');
    expect(await verificationError(verifySignatures(dir, result.commit, verifyOpts({ 'other.sshpub': s.otherSshPub }, { tag: result.tag, mode: 'TagAndHEAD' })))).toEqual({
      reason: 'VerificationError',
      message: "signature verification of tag 'ssh-v1' failed: signed with an SSH key that is not among the keys of Secret 'verify'",
    });
    expect(await verificationError(verifySignatures(dir, result.commit, verifyOpts({ 'pgp.asc': s.pgpArmored })))).toEqual({
      reason: 'VerificationError',
      message: `signature verification of commit '${s.sshCommit}' failed: it has an SSH signature and Secret 'verify' holds no SSH keys (keys ending in .sshpub)`,
    });
  });
});

describe('OpenPGP signatures (gpg)', () => {
  it('verifies the commit and the tag with armored or binary keys', async () => {
    const { dir, result } = await checkoutTag('pgp-v1');
    expect(result.commit).toBe(s.pgpCommit);
    const signer = `Signer <signer@eddy.dev> (${s.pgpFingerprint})`;
    const secrets: SecretData[] = [{ 'signer.asc': s.pgpArmored, 'other.asc': s.otherPgpArmored }, { keyring: s.pgpBinary }];
    for (const keys of secrets) {
      expect((await verifySignatures(dir, result.commit, verifyOpts(keys, { tag: result.tag, mode: 'TagAndHEAD' }))).signatures).toEqual([
        { object: 'tag', id: 'pgp-v1', format: 'openpgp', signer },
        { object: 'commit', id: s.pgpCommit, format: 'openpgp', signer },
      ]);
    }
  });

  it('refuses a signature by a key that is not in the Secret', async () => {
    const { dir, result } = await checkoutTag('pgp-v1');
    const got = await verificationError(verifySignatures(dir, result.commit, verifyOpts({ 'other.asc': s.otherPgpArmored })));
    expect(got.reason).toBe('VerificationError');
    expect(got.message).toMatch(new RegExp(`^signature verification of commit '${s.pgpCommit}' failed: signed with OpenPGP key [0-9A-F]+, which is not among the keys of Secret 'verify'$`));
    expect(s.pgpFingerprint.endsWith(/key ([0-9A-F]+),/.exec(got.message)?.[1] ?? 'x')).toBe(true);
    expect(await verificationError(verifySignatures(dir, result.commit, verifyOpts({ 'signer.sshpub': s.sshPub })))).toEqual({
      reason: 'VerificationError',
      message: `signature verification of commit '${s.pgpCommit}' failed: it has an OpenPGP signature and Secret 'verify' holds no OpenPGP keys`,
    });
  });

  it('says which key of the Secret cannot be imported', async () => {
    const { dir, result } = await checkoutTag('pgp-v1');
    const got = await verificationError(verifySignatures(dir, result.commit, verifyOpts({ 'broken.asc': 'not a key' })));
    expect(got.reason).toBe('VerificationError');
    expect(got.message.startsWith("cannot import OpenPGP key 'broken.asc' of Secret 'verify': ")).toBe(true);
  });
});

describe('what cannot be verified', () => {
  it('refuses an unsigned commit', async () => {
    const { dir, result } = await checkoutMain();
    expect(result.commit).toBe(s.unsignedCommit);
    expect(await verificationError(verifySignatures(dir, result.commit, verifyOpts({ 'signer.sshpub': s.sshPub, 'signer.asc': s.pgpArmored })))).toEqual({
      reason: 'VerificationError',
      message: `signature verification of commit '${s.unsignedCommit}' failed: it is not signed`,
    });
  });

  it('refuses a lightweight tag, and Tag mode without a tag', async () => {
    const light = await checkoutTag('light');
    expect(await verificationError(verifySignatures(light.dir, light.result.commit, verifyOpts({ 'signer.sshpub': s.sshPub }, { tag: light.result.tag, mode: 'Tag' })))).toEqual({
      reason: 'VerificationError',
      message: "signature verification of tag 'light' failed: it is a lightweight tag, which cannot carry a signature",
    });
    const main = await checkoutMain();
    expect(await verificationError(verifySignatures(main.dir, main.result.commit, verifyOpts({ 'signer.sshpub': s.sshPub }, { mode: 'TagAndHEAD' })))).toEqual({
      reason: 'VerificationError',
      message: "cannot verify the tag signature (verify mode 'TagAndHEAD'): spec.ref does not select a tag; use tag, semver or a refs/tags/ name",
    });
  });

  it('refuses a Secret without keys', async () => {
    const main = await checkoutMain();
    expect(await verificationError(verifySignatures(main.dir, main.result.commit, verifyOpts({ empty: '' })))).toEqual({
      reason: 'VerificationError',
      message: "Secret 'verify' holds no public keys (OpenPGP keys, or SSH keys in keys ending in .sshpub)",
    });
  });
});

describe('signature parsing', () => {
  it('finds the signature of a raw commit and tag', () => {
    const commit = ['tree t', 'parent p', 'author a', 'committer c', 'gpgsig -----BEGIN SSH SIGNATURE-----', ' U1NIU0lH', ' -----END SSH SIGNATURE-----', '', 'message', ''].join('\n');
    expect(commitSignature(commit)).toBe('-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----');
    expect(commitSignature('tree t\nauthor a\n\nmessage\n')).toBe('');
    const tag = 'object o\ntype commit\ntag v1\ntagger t\n\nrelease\n-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----\n';
    expect(tagSignature(tag)).toBe('-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----\n');
    expect([signatureFormat(commitSignature(commit)), signatureFormat(tagSignature(tag)), signatureFormat('-----BEGIN SIGNED MESSAGE-----'), signatureFormat('')]).toEqual([
      'ssh',
      'openpgp',
      'x509',
      undefined,
    ]);
  });

  it('turns authorized_keys lines into allowed signers', () => {
    const keys = ['# team keys', 'ssh-ed25519 AAAAC3Nz alice@x', 'no-pty,command="x" ssh-rsa AAAAB3Nz bob', 'ecdsa-sha2-nistp256 AAAAE2Vj', '', 'garbage'].join('\n');
    expect(allowedSigners('team.sshpub', keys)).toEqual([
      'team.sshpub namespaces="git" ssh-ed25519 AAAAC3Nz',
      'team.sshpub namespaces="git" ssh-rsa AAAAB3Nz',
      'team.sshpub namespaces="git" ecdsa-sha2-nistp256 AAAAE2Vj',
    ]);
  });
});
