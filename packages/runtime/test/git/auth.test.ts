import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '@eddy/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  gitAuthFromSecret,
  gitTransport,
  privateKeyEncrypted,
  redactSecrets,
  secretStrings,
  withGitSession,
  type GitAuth,
  type GitSession,
  type SecretData,
} from '../../src/git/auth.ts';
import { ReconcileError, StallingError } from '../../src/errors/errors.ts';
import { tempDir } from './temp-dir.ts';

/** SSH keys made with the real ssh-keygen: plain, passphrase-protected (OpenSSH and PEM formats). */
const keys: { plain: Buffer; encrypted: Buffer; encryptedPem: Buffer; pub: string } = { plain: Buffer.alloc(0), encrypted: Buffer.alloc(0), encryptedPem: Buffer.alloc(0), pub: '' };

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'eddy-keys-'));
  const gen = async (name: string, args: string[]): Promise<Buffer> => {
    await runCommand('ssh-keygen', ['-q', ...args, '-C', 'test', '-f', join(dir, name)]);
    return await readFile(join(dir, name));
  };
  keys.plain = await gen('plain', ['-t', 'ed25519', '-N', '']);
  keys.encrypted = await gen('enc', ['-t', 'ed25519', '-N', 'passphrase']);
  keys.encryptedPem = await gen('pem', ['-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', 'passphrase']);
  keys.pub = await readFile(join(dir, 'plain.pub'), 'utf8');
  await rm(dir, { recursive: true, force: true });
});

function thrown(fn: () => unknown): { type: string; reason: string; message: string } {
  try {
    fn();
  } catch (e) {
    const err = e as ReconcileError;
    return { type: err.name, reason: err.reason, message: err.message };
  }
  throw new Error('did not throw');
}

describe('gitTransport', () => {
  it.each([
    ['https://h/x.git', 'https'],
    ['http://h:8080/x.git', 'http'],
    ['ssh://git@h:22/x.git', 'ssh'],
  ])('%s', (url, want) => {
    expect(gitTransport(url)).toBe(want);
  });
  it.each([
    ['git@github.com:org/repo.git', "invalid Git URL 'git@github.com:org/repo.git': expected http://, https:// or ssh://"],
    ['file:///etc/x', "unsupported Git URL scheme 'file' in 'file:///etc/x': expected http, https or ssh"],
    ['ftp://u:pw@h/x', "unsupported Git URL scheme 'ftp' in 'ftp://h/x': expected http, https or ssh"],
  ])('rejects %s as stalled', (url, message) => {
    expect(thrown(() => gitTransport(url))).toEqual({ type: 'StallingError', reason: 'URLInvalid', message });
  });
});

describe('gitAuthFromSecret', () => {
  it('reads HTTP credentials as Flux does', () => {
    expect(gitAuthFromSecret('https://h/x.git', undefined)).toEqual({ transport: 'https' });
    expect(gitAuthFromSecret('https://h/x.git', { username: 'u', password: Buffer.from('p') }, 's')).toEqual({ transport: 'https', secretName: 's', basic: { username: 'u', password: 'p' } });
    expect(gitAuthFromSecret('http://h/x.git', { username: 'token-as-user' })).toEqual({ transport: 'http', basic: { username: 'token-as-user', password: '' } });
    // Bearer takes precedence over basic, as Flux.
    expect(gitAuthFromSecret('https://h/x.git', { username: 'u', password: 'p', bearerToken: 't' })).toEqual({ transport: 'https', bearerToken: 't' });
    expect(gitAuthFromSecret('https://h/x.git', { 'ca.crt': 'CA', 'tls.crt': 'CERT', 'tls.key': 'KEY' })).toEqual({
      transport: 'https',
      caCert: Buffer.from('CA'),
      clientCert: { cert: Buffer.from('CERT'), key: Buffer.from('KEY') },
    });
    // caFile is the older name of ca.crt; ca.crt wins.
    expect(gitAuthFromSecret('https://h/x.git', { caFile: 'OLD' })).toEqual({ transport: 'https', caCert: Buffer.from('OLD') });
    expect(gitAuthFromSecret('https://h/x.git', { caFile: 'OLD', 'ca.crt': 'NEW' })).toEqual({ transport: 'https', caCert: Buffer.from('NEW') });
  });

  it('reads SSH credentials', () => {
    const data: SecretData = { identity: keys.plain, known_hosts: 'h ssh-ed25519 AAAA' };
    expect(gitAuthFromSecret('ssh://git@h/x.git', data, 'ssh')).toEqual({
      transport: 'ssh',
      secretName: 'ssh',
      ssh: { identity: keys.plain, knownHosts: Buffer.from('h ssh-ed25519 AAAA') },
    });
  });

  it.each<[string, string, SecretData | undefined, string]>([
    ['password without username', 'https://h/x.git', { password: 'p' }, "invalid auth in Secret 's': 'password' requires 'username' to be set"],
    ['half a client certificate', 'https://h/x.git', { 'tls.crt': 'C' }, "invalid auth in Secret 's': 'tls.crt' and 'tls.key' must be set together"],
    ['TLS over plain http', 'http://h/x.git', { 'ca.crt': 'C' }, "invalid auth in Secret 's': 'ca.crt', 'tls.crt' and 'tls.key' need an https:// URL, not 'http://h/x.git'"],
    ['SSH without secret', 'ssh://git@h/x.git', undefined, "SSH URL 'ssh://h/x.git' needs spec.secretRef: a Secret with 'identity' (private key) and 'known_hosts'"],
    ['SSH without identity', 'ssh://h/x.git', { known_hosts: 'x' }, "invalid auth in Secret 's': 'identity' is required for SSH URL 'ssh://h/x.git'"],
    ['SSH without known_hosts', 'ssh://h/x.git', { identity: 'x' }, "invalid auth in Secret 's': 'known_hosts' is required for SSH URL 'ssh://h/x.git' (the server's host key is always verified)"],
    ['SSH identity not a key', 'ssh://h/x.git', { identity: 'hello', known_hosts: 'x' }, "invalid auth in Secret 's': 'identity' is not a PEM or OpenSSH private key"],
  ])('rejects %s', (_name, url, data, message) => {
    expect(thrown(() => gitAuthFromSecret(url, data, 's'))).toEqual({ type: 'ReconcileError', reason: 'AuthenticationFailed', message });
  });

  it('refuses passphrase-protected SSH keys with a clear error', () => {
    const withPassphrase = thrown(() => gitAuthFromSecret('ssh://h/x.git', { identity: keys.encrypted, known_hosts: 'x', password: 'hunter2-secret' }, 's'));
    expect(withPassphrase).toEqual({
      type: 'ReconcileError',
      reason: 'AuthenticationFailed',
      message:
        "invalid auth in Secret 's': 'identity' is encrypted. A passphrase ('password') is given, but git's ssh runs in batch mode and cannot use a passphrase-protected key; store the key unencrypted (ssh-keygen -p -N '' -f <key>)",
    });
    expect(withPassphrase.message).not.toContain('hunter2-secret');
    expect(thrown(() => gitAuthFromSecret('ssh://h/x.git', { identity: keys.encryptedPem, known_hosts: 'x' }, 's')).message).toContain("'identity' is encrypted. No passphrase is given");
  });

  it('detects encrypted keys in both formats', () => {
    expect([keys.plain, keys.encrypted, keys.encryptedPem].map(privateKeyEncrypted)).toEqual([false, true, true]);
  });
});

describe('redaction', () => {
  it('replaces every form of every secret and URL userinfo', () => {
    const auth: GitAuth = { transport: 'https', basic: { username: 'me', password: 'p@ss w/rd' }, bearerToken: undefined };
    const secrets = secretStrings(auth);
    const basicHeader = Buffer.from('me:p@ss w/rd').toString('base64');
    const text = `p@ss w/rd ${encodeURIComponent('p@ss w/rd')} Basic ${basicHeader} https://me:pw@host/x`;
    expect(redactSecrets(text, secrets)).toBe('*** *** Basic *** https://host/x');
  });

  it('covers bearer tokens and private key material', () => {
    const auth: GitAuth = { transport: 'ssh', ssh: { identity: keys.plain, knownHosts: Buffer.from('x') } };
    const keyLine = keys.plain.toString().split('\n')[1] ?? '';
    expect(keyLine.length).toBeGreaterThan(16);
    expect(redactSecrets(`leaked ${keyLine}`, secretStrings(auth))).toBe('leaked ***');
    expect(redactSecrets('Authorization: Bearer tok-123', secretStrings({ transport: 'https', bearerToken: 'tok-123' }))).toBe('Authorization: Bearer ***');
  });
});

describe('withGitSession', () => {
  async function capture(url: string, auth: GitAuth | undefined): Promise<{ s: GitSession; files: Record<string, { mode: number; content: string }> }> {
    const tmpRoot = await tempDir();
    let captured: GitSession | undefined;
    const files: Record<string, { mode: number; content: string }> = {};
    await withGitSession(url, auth, { tmpRoot, env: { PATH: '/usr/bin:/bin', HTTPS_PROXY: 'http://proxy:3128' } }, async (s) => {
      captured = s;
      for (const name of ['git-credentials', 'ca.crt', 'tls.crt', 'tls.key', 'identity', 'known_hosts', 'ssh_config']) {
        const file = join(s.tmpDir, name);
        if (existsSync(file)) files[name] = { mode: (await stat(file)).mode & 0o777, content: await readFile(file, 'utf8') };
      }
      expect((await stat(s.tmpDir)).mode & 0o777).toBe(0o700);
    });
    if (!captured) throw new Error('no session');
    expect(existsSync(captured.tmpDir)).toBe(false);
    return { s: captured, files };
  }

  function gitConfig(env: Record<string, string>): [string, string][] {
    const n = Number(env['GIT_CONFIG_COUNT']);
    return Array.from({ length: n }, (_, i) => [env[`GIT_CONFIG_KEY_${i}`] ?? '', env[`GIT_CONFIG_VALUE_${i}`] ?? '']);
  }

  const base = [
    ['core.hooksPath', '/dev/null'],
    ['core.askPass', 'false'],
    ['advice.detachedHead', 'false'],
    ['init.defaultBranch', 'master'],
    ['gc.auto', '0'],
    ['maintenance.auto', 'false'],
    ['protocol.allow', 'never'],
    ['protocol.http.allow', 'always'],
    ['protocol.https.allow', 'always'],
    ['protocol.ssh.allow', 'always'],
    ['credential.helper', ''],
  ];

  it('gives basic credentials through a private credential-store file, removed afterwards', async () => {
    const { s, files } = await capture('https://git.example.com:8443/x.git', { transport: 'https', basic: { username: 'u@x', password: 'p:w d' } });
    expect(files).toEqual({ 'git-credentials': { mode: 0o600, content: 'https://u%40x:p%3Aw%20d@git.example.com:8443\n' } });
    expect(gitConfig(s.env)).toEqual([...base, ['credential.helper', `store --file='${s.tmpDir}/git-credentials'`]]);
    expect(Object.fromEntries(Object.entries(s.env).filter(([k]) => !k.startsWith('GIT_CONFIG_')))).toEqual({
      PATH: '/usr/bin:/bin',
      HTTPS_PROXY: 'http://proxy:3128',
      HOME: s.tmpDir,
      LC_ALL: 'C',
      GIT_TERMINAL_PROMPT: '0',
      GIT_ASKPASS: 'false',
      SSH_ASKPASS_REQUIRE: 'never',
    });
    expect([s.env['GIT_CONFIG_NOSYSTEM'], s.env['GIT_CONFIG_GLOBAL']]).toEqual(['1', '/dev/null']);
    expect(s.redact('p:w d and https://u:x@h/')).toBe('*** and https://h/');
  });

  it('scopes the bearer header and TLS files to the repository origin', async () => {
    const { s, files } = await capture('https://git.example.com/org/x.git', {
      transport: 'https',
      bearerToken: 'tok',
      caCert: Buffer.from('CA'),
      clientCert: { cert: Buffer.from('CERT'), key: Buffer.from('KEY') },
    });
    expect(files).toEqual({
      'ca.crt': { mode: 0o600, content: 'CA' },
      'tls.crt': { mode: 0o600, content: 'CERT' },
      'tls.key': { mode: 0o600, content: 'KEY' },
    });
    expect(gitConfig(s.env)).toEqual([
      ...base,
      ['http.https://git.example.com/.extraHeader', 'Authorization: Bearer tok'],
      ['http.https://git.example.com/.sslCAInfo', `${s.tmpDir}/ca.crt`],
      ['http.https://git.example.com/.sslCert', `${s.tmpDir}/tls.crt`],
      ['http.https://git.example.com/.sslKey', `${s.tmpDir}/tls.key`],
    ]);
  });

  it('runs ssh in batch mode with strict host key checking against the Secret known_hosts', async () => {
    const identity = Buffer.from(keys.plain.toString().trimEnd().replace(/\n/g, '\r\n'));
    const { s, files } = await capture('ssh://h:2222/x.git', { transport: 'ssh', ssh: { identity, knownHosts: Buffer.from('[h]:2222 ssh-ed25519 AAAA') } });
    expect(files).toEqual({
      identity: { mode: 0o600, content: keys.plain.toString() },
      known_hosts: { mode: 0o600, content: '[h]:2222 ssh-ed25519 AAAA\n' },
      ssh_config: { mode: 0o600, content: 'Host *\n  User git\n' },
    });
    const t = s.tmpDir;
    expect(s.env['GIT_SSH_COMMAND']).toBe(
      `ssh -F '${t}/ssh_config' -i '${t}/identity' -o IdentitiesOnly=yes -o UserKnownHostsFile='${t}/known_hosts' -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no`,
    );
    expect(gitConfig(s.env)).toEqual(base);
  });

  it('refuses an SSH URL without credentials and still removes its folder', async () => {
    const tmpRoot = await tempDir();
    const err = await withGitSession('ssh://h/x.git', undefined, { tmpRoot }, async () => 'never').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReconcileError);
    expect(err).not.toBeInstanceOf(StallingError);
    expect((err as ReconcileError).reason).toBe('AuthenticationFailed');
    expect(await readdir(tmpRoot)).toEqual([]);
  });
});
