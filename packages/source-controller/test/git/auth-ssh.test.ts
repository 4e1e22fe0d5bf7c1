import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ReconcileError, gitAuthFromSecret, type SecretData } from '@eddy/runtime';
import { runCommand, testEnv } from '@eddy/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkout, remoteRevision } from '../../src/git/checkout.ts';
import { newRepo, sshAuthData, tempDir, type WorkTree } from './fixtures.ts';

const env = testEnv();
const timeoutMs = 30_000;
const prefix = 'failed to checkout and determine revision: ';

let tree: WorkTree;
let head: string;
let url: string;
let keys: SecretData;
/** A key the server does not know, and a host key that is not the server's. */
let strangerKey: Buffer;
let wrongKnownHosts: string;

beforeAll(async () => {
  tree = await newRepo(env);
  head = await tree.commit({ 'README.md': 'over ssh\n' });
  await tree.push('HEAD:refs/heads/main', 'HEAD:refs/heads/master');
  url = tree.repo.sshUrl;
  keys = await sshAuthData(env);
  const dir = await tempDir();
  await runCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'stranger', '-f', join(dir, 'stranger')]);
  strangerKey = await readFile(join(dir, 'stranger'));
  await runCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'impostor-host', '-f', join(dir, 'impostor')]);
  const impostor = (await readFile(join(dir, 'impostor.pub'), 'utf8')).split(' ');
  wrongKnownHosts = `[${env.git.ssh.host}]:${env.git.ssh.port} ${impostor[0]} ${impostor[1]}\n`;
}, 120_000);

async function clone(data: SecretData | undefined, cloneUrl = url): Promise<string> {
  const dir = join(await tempDir(), 'c');
  return (await checkout(cloneUrl, { branch: 'main' }, dir, { auth: gitAuthFromSecret(cloneUrl, data, 'ssh-auth'), timeoutMs })).revision;
}

async function cloneError(data: SecretData | undefined): Promise<{ reason: string; message: string }> {
  const err = await clone(data).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ReconcileError)) throw new Error(`expected a ReconcileError, got ${String(err)}`);
  return { reason: err.reason, message: err.message };
}

const redacted = (): string => url.replace(`${env.git.ssh.user}@`, '');

describe('SSH against the real git server', () => {
  it('clones with the identity and known_hosts of the Secret', async () => {
    expect(await clone(keys)).toBe(`main@sha1:${head}`);
    const auth = gitAuthFromSecret(url, keys);
    expect(await remoteRevision(url, { branch: 'main' }, { auth, timeoutMs })).toBe(`main@sha1:${head}`);
    expect(await remoteRevision(url, undefined, { auth, timeoutMs })).toBe(`master@sha1:${head}`);
  });

  it('accepts a Secret whose key lacks the final newline', async () => {
    const identity = Buffer.from((keys['identity'] as Buffer).toString().trimEnd());
    expect(await clone({ ...keys, identity })).toBe(`main@sha1:${head}`);
  });

  it('fails with AuthenticationFailed on a host key that is not in known_hosts', async () => {
    expect(await cloneError({ ...keys, known_hosts: wrongKnownHosts })).toEqual({
      reason: 'AuthenticationFailed',
      message: `${prefix}unable to clone '${redacted()}': host key verification failed: the server's host key is not in the 'known_hosts' of Secret 'ssh-auth' (Host key for [${env.git.ssh.host}]:${env.git.ssh.port} has changed and you have requested strict checking.; Host key verification failed.)`,
    });
  });

  it('fails with AuthenticationFailed on a key the server does not accept, never showing the key', async () => {
    const got = await cloneError({ ...keys, identity: strangerKey });
    expect(got.reason).toBe('AuthenticationFailed');
    expect(got.message).toMatch(new RegExp(`^${prefix}unable to clone '${redacted()}': the server refused the SSH key \\(.*Permission denied \\(publickey.*\\); check that the 'identity' in Secret 'ssh-auth' is authorized on the server$`));
    for (const line of strangerKey.toString().split('\n').filter((l) => l.length > 16 && !l.startsWith('-----'))) expect(got.message).not.toContain(line);
  });

  it('requires known_hosts and a Secret at all, as Flux', async () => {
    expect(await cloneError({ identity: keys['identity'] as Buffer })).toEqual({
      reason: 'AuthenticationFailed',
      message: `invalid auth in Secret 'ssh-auth': 'known_hosts' is required for SSH URL '${redacted()}' (the server's host key is always verified)`,
    });
    expect(await cloneError(undefined)).toEqual({
      reason: 'AuthenticationFailed',
      message: `SSH URL '${redacted()}' needs spec.secretRef: a Secret with 'identity' (private key) and 'known_hosts'`,
    });
  });

  it('uses git as the user when the URL names none', async () => {
    // The server's sshd only lets its own user in: a URL without user must not fall back to
    // the local account name but to `git`, which the server refuses.
    const noUser = url.replace(`${env.git.ssh.user}@`, '');
    const err = await clone(keys, noUser).then(
      () => undefined,
      (e: unknown) => e as ReconcileError,
    );
    expect(err?.reason).toBe('AuthenticationFailed');
    expect(err?.message).toContain('git@127.0.0.1: Permission denied (publickey');
  });
});
