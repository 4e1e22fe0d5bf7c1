/**
 * Git credentials: a GitRepository's `spec.secretRef` Secret turned into what the git CLI
 * needs, without a credential ever reaching a command line, a URL, a log line or an error.
 *
 * - HTTP(S) `username`/`password`: git's own `credential-store` helper reading a 0600 file, so
 *   the password is only sent to the repository's host, after the server asks for it.
 * - `bearerToken`: an `Authorization: Bearer` header, scoped to the repository's origin.
 * - `ca.crt` (or the older `caFile`), `tls.crt` + `tls.key`: 0600 files named in
 *   `http.<origin>.sslCAInfo`/`sslCert`/`sslKey`.
 * - SSH `identity` + `known_hosts` (required, as in Flux): 0600 files named in
 *   `GIT_SSH_COMMAND`, with strict host key checking and batch mode.
 *
 * Git settings are passed in the environment (`GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/
 * `GIT_CONFIG_VALUE_n`, git ≥ 2.31) rather than `-c` arguments: a process's arguments are
 * readable by every user of the machine (`ps`), its environment only by its own user. The
 * files live in one temporary folder per operation ({@link withGitSession}), removed afterwards.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Reason } from '@eddy/api';
import { ReconcileError, StallingError } from '../errors/errors.ts';
import { redactUrls } from '../logging/redact.ts';

/**
 * The data of a Kubernetes Secret, key → value. A Buffer holds the decoded bytes; a string
 * holds the value as text (as in `stringData`), never base64.
 */
export type SecretData = Record<string, Buffer | string>;

/** The transports `spec.url` may use. */
export type GitTransport = 'http' | 'https' | 'ssh';

/** Credentials for one repository, parsed and checked; plain data, made by {@link gitAuthFromSecret}. */
export interface GitAuth {
  transport: GitTransport;
  /** Name of the Secret they came from, for messages telling the user what to fix. */
  secretName?: string;
  /** HTTP basic authentication. */
  basic?: { username: string; password: string };
  /** HTTP bearer token; takes precedence over basic authentication, as in Flux. */
  bearerToken?: string;
  /** PEM CA bundle the server's certificate must chain to (HTTPS). */
  caCert?: Buffer;
  /** PEM client certificate and key for mutual TLS (HTTPS). */
  clientCert?: { cert: Buffer; key: Buffer };
  /** SSH private key and the known_hosts the server's host key must be in. */
  ssh?: { identity: Buffer; knownHosts: Buffer };
}

function text(v: Buffer | string | undefined): string {
  if (v === undefined) return '';
  return typeof v === 'string' ? v : v.toString('utf8');
}

function bytes(v: Buffer | string | undefined): Buffer | undefined {
  if (v === undefined) return undefined;
  const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
  return b.length ? b : undefined;
}

function authError(secretName: string | undefined, problem: string): ReconcileError {
  const where = secretName ? `Secret '${secretName}'` : 'the credentials';
  return new ReconcileError(Reason.AuthenticationFailed, `invalid auth in ${where}: ${problem}`);
}

/**
 * The transport of a GitRepository URL. Throws a StallingError (URLInvalid) for anything but
 * `http://`, `https://` and `ssh://` (scp-style `user@host:path` is not accepted, as in Flux).
 */
export function gitTransport(url: string): GitTransport {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new StallingError(Reason.URLInvalid, `invalid Git URL '${redactUrls(url)}': expected http://, https:// or ssh://`);
  }
  const scheme = u.protocol.slice(0, -1);
  if (scheme !== 'http' && scheme !== 'https' && scheme !== 'ssh') {
    throw new StallingError(Reason.URLInvalid, `unsupported Git URL scheme '${scheme}' in '${redactUrls(url)}': expected http, https or ssh`);
  }
  if (!u.hostname) throw new StallingError(Reason.URLInvalid, `invalid Git URL '${redactUrls(url)}': no host`);
  return scheme;
}

/**
 * Whether a PEM or OpenSSH private key is encrypted with a passphrase. OpenSSH keys name their
 * cipher inside the base64 body (`none` when unencrypted); PEM keys say so in a header.
 */
export function privateKeyEncrypted(identity: Buffer): boolean {
  const pem = identity.toString('utf8');
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(pem) || /^Proc-Type:\s*4,ENCRYPTED/m.test(pem)) return true;
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(pem);
  if (!m) return false;
  const body = Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64');
  const magic = Buffer.from('openssh-key-v1\0', 'latin1');
  if (body.length < magic.length + 4 || !body.subarray(0, magic.length).equals(magic)) return false;
  const len = body.readUInt32BE(magic.length);
  const cipher = body.subarray(magic.length + 4, magic.length + 4 + len).toString('latin1');
  return cipher !== 'none';
}

/**
 * The credentials for `url` from a Secret's data (undefined when there is no `spec.secretRef`).
 * Keys as Flux reads them: `username`, `password`, `bearerToken`, `ca.crt` (or `caFile`),
 * `tls.crt`, `tls.key` for HTTP(S); `identity`, `known_hosts` (and `password`, the identity's
 * passphrase) for SSH. Throws ReconcileError (AuthenticationFailed) when they cannot work:
 * a password without a username, half a client certificate, an SSH URL without identity or
 * known_hosts, or an identity encrypted with a passphrase (git's ssh runs in batch mode and
 * cannot be given one; the key must be stored unencrypted).
 */
export function gitAuthFromSecret(url: string, data: SecretData | undefined, secretName?: string): GitAuth {
  const transport = gitTransport(url);
  const auth: GitAuth = { transport };
  if (secretName) auth.secretName = secretName;
  const d = data ?? {};
  if (transport === 'ssh') {
    if (!data) {
      throw new ReconcileError(
        Reason.AuthenticationFailed,
        `SSH URL '${redactUrls(url)}' needs spec.secretRef: a Secret with 'identity' (private key) and 'known_hosts'`,
      );
    }
    const identity = bytes(d['identity']);
    const knownHosts = bytes(d['known_hosts']);
    if (!identity) throw authError(secretName, `'identity' is required for SSH URL '${redactUrls(url)}'`);
    if (!knownHosts) throw authError(secretName, `'known_hosts' is required for SSH URL '${redactUrls(url)}' (the server's host key is always verified)`);
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(identity.toString('utf8'))) {
      throw authError(secretName, `'identity' is not a PEM or OpenSSH private key`);
    }
    if (privateKeyEncrypted(identity)) {
      const given = text(d['password']) ? ` A passphrase ('password') is given, but` : ' No passphrase is given, and';
      throw authError(
        secretName,
        `'identity' is encrypted.${given} git's ssh runs in batch mode and cannot use a passphrase-protected key; store the key unencrypted (ssh-keygen -p -N '' -f <key>)`,
      );
    }
    auth.ssh = { identity, knownHosts };
    return auth;
  }

  const username = text(d['username']);
  const password = text(d['password']);
  const bearerToken = text(d['bearerToken']);
  if (password && !username) throw authError(secretName, `'password' requires 'username' to be set`);
  if (bearerToken) auth.bearerToken = bearerToken;
  else if (username) auth.basic = { username, password };
  const ca = bytes(d['ca.crt']) ?? bytes(d['caFile']);
  if (ca) auth.caCert = ca;
  const cert = bytes(d['tls.crt']);
  const key = bytes(d['tls.key']);
  if ((cert && !key) || (key && !cert)) throw authError(secretName, `'tls.crt' and 'tls.key' must be set together`);
  if (cert && key) auth.clientCert = { cert, key };
  if (transport === 'http' && (auth.caCert || auth.clientCert)) {
    throw authError(secretName, `'ca.crt', 'tls.crt' and 'tls.key' need an https:// URL, not '${redactUrls(url)}'`);
  }
  return auth;
}

/**
 * Every secret string of some credentials, in the forms it could appear in text (as is,
 * URL-encoded, inside a basic-auth header), longest first so replacing them in order leaves
 * no fragment behind.
 */
export function secretStrings(auth: GitAuth | undefined): string[] {
  if (!auth) return [];
  const raw: string[] = [];
  if (auth.basic?.password) {
    raw.push(auth.basic.password, Buffer.from(`${auth.basic.username}:${auth.basic.password}`).toString('base64'));
  }
  if (auth.bearerToken) raw.push(auth.bearerToken);
  if (auth.clientCert) raw.push(...pemBodies(auth.clientCert.key));
  if (auth.ssh) raw.push(...pemBodies(auth.ssh.identity));
  const all = new Set<string>();
  for (const s of raw) {
    if (!s) continue;
    all.add(s);
    all.add(encodeURIComponent(s));
  }
  return [...all].sort((a, b) => b.length - a.length);
}

/** The base64 lines of a PEM private key: what of it could leak into a tool's output. */
function pemBodies(pem: Buffer): string[] {
  return pem
    .toString('utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length >= 16 && !l.startsWith('-----') && !l.includes(':'));
}

/** Text with every secret replaced by `***` and the userinfo of every URL removed. */
export function redactSecrets(textIn: string, secrets: readonly string[]): string {
  let out = textIn;
  for (const s of secrets) out = out.split(s).join('***');
  return redactUrls(out);
}

/** The standard PATH of a Debian system, used when the caller gives no PATH. */
const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Options of {@link withGitSession}. */
export interface GitSessionOptions {
  /**
   * Environment variables for every command on top of the hermetic defaults: PATH, proxy
   * settings (`HTTPS_PROXY`, `NO_PROXY`), read by main.ts from its own environment. Runtime
   * code never reads `process.env`.
   */
  env?: Record<string, string>;
  /** Folder for the per-operation temporary folder; the system's temp folder by default. */
  tmpRoot?: string;
}

/** The environment of one git operation: made by {@link withGitSession}, gone when it returns. */
export interface GitSession {
  /** The complete environment for every git command of the operation. */
  env: Record<string, string>;
  /** A private (0700) folder for files the operation needs, removed afterwards. */
  tmpDir: string;
  /** Removes the credentials (and URL userinfo) from text before it leaves the adapter. */
  redact: (text: string) => string;
  auth: GitAuth | undefined;
}

/**
 * Settings of every git command: no hooks, no prompts, no background maintenance, and only
 * http(s) and ssh transports, so a submodule cannot point git at a local file or a command.
 */
const baseConfig: readonly (readonly [string, string])[] = [
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
  // No credential helper from anywhere else; withGitSession adds ours after this reset.
  ['credential.helper', ''],
];

/**
 * The complete, hermetic environment of a git command: `extra` (PATH, proxies) over a default
 * PATH, `HOME` in the operation's private folder, no system or user git config, no prompts
 * (`GIT_TERMINAL_PROMPT=0`, `GIT_ASKPASS`), English messages (`LC_ALL=C`, so failures can be
 * classified), and the base settings plus `config` as `GIT_CONFIG_*` variables.
 */
export function gitEnvironment(tmpDir: string, extra: Record<string, string> | undefined, config: readonly (readonly [string, string])[]): Record<string, string> {
  const env: Record<string, string> = {
    PATH: defaultPath,
    ...extra,
    HOME: tmpDir,
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: 'false',
    SSH_ASKPASS_REQUIRE: 'never',
  };
  const all = [...baseConfig, ...config];
  env['GIT_CONFIG_COUNT'] = String(all.length);
  all.forEach(([k, v], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = k;
    env[`GIT_CONFIG_VALUE_${i}`] = v;
  });
  return env;
}

/** Single-quotes a path for the shell git runs `GIT_SSH_COMMAND` with. */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `scheme://host[:port]/`, the key under which `http.<url>.*` settings apply to one server. */
function origin(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}/`;
}

/** Writes a file only its owner can read. */
async function writePrivate(file: string, content: Buffer | string): Promise<void> {
  await writeFile(file, content, { mode: 0o600 });
  await chmod(file, 0o600);
}

/** A key file as ssh wants it: LF line ends and a final newline (Secrets often lack it). */
function normalizeKey(b: Buffer): string {
  const s = b.toString('utf8').replace(/\r\n/g, '\n');
  return s.endsWith('\n') ? s : `${s}\n`;
}

/**
 * Runs `fn` with a {@link GitSession} for `url`: a private temporary folder holding the
 * credential files, and the {@link gitEnvironment} plus the settings that hand git the
 * credentials (ssh in batch mode with strict host key checking for SSH URLs). The folder is
 * removed when `fn` settles.
 */
export async function withGitSession<T>(url: string, auth: GitAuth | undefined, opts: GitSessionOptions, fn: (s: GitSession) => Promise<T>): Promise<T> {
  const tmpDir = await mkdtemp(join(opts.tmpRoot ?? tmpdir(), 'eddy-git-'));
  try {
    await chmod(tmpDir, 0o700);
    const config: [string, string][] = [];
    const env: Record<string, string> = {};
    if (gitTransport(url) === 'ssh') {
      const ssh = auth?.ssh;
      // Without a key and known_hosts, ssh would fall back to the machine's own: never.
      if (!ssh) throw new ReconcileError(Reason.AuthenticationFailed, `SSH URL '${redactUrls(url)}' needs spec.secretRef: a Secret with 'identity' and 'known_hosts'`);
      const identity = join(tmpDir, 'identity');
      const knownHosts = join(tmpDir, 'known_hosts');
      const sshConfig = join(tmpDir, 'ssh_config');
      await writePrivate(identity, normalizeKey(ssh.identity));
      await writePrivate(knownHosts, normalizeKey(ssh.knownHosts));
      // A default user for URLs without one (Flux uses `git`); a user in the URL wins.
      await writePrivate(sshConfig, 'Host *\n  User git\n');
      env['GIT_SSH_COMMAND'] = [
        'ssh',
        `-F ${shellQuote(sshConfig)}`,
        `-i ${shellQuote(identity)}`,
        '-o IdentitiesOnly=yes',
        `-o UserKnownHostsFile=${shellQuote(knownHosts)}`,
        '-o GlobalKnownHostsFile=/dev/null',
        '-o StrictHostKeyChecking=yes',
        '-o BatchMode=yes',
        '-o PasswordAuthentication=no',
        '-o KbdInteractiveAuthentication=no',
      ].join(' ');
      env['GIT_SSH_VARIANT'] = 'ssh';
    } else if (auth) {
      const at = origin(url);
      if (auth.bearerToken) {
        config.push([`http.${at}.extraHeader`, `Authorization: Bearer ${auth.bearerToken}`]);
      } else if (auth.basic) {
        const file = join(tmpDir, 'git-credentials');
        const u = new URL(url);
        const entry = `${u.protocol}//${encodeURIComponent(auth.basic.username)}:${encodeURIComponent(auth.basic.password)}@${u.host}\n`;
        await writePrivate(file, entry);
        config.push(['credential.helper', `store --file=${shellQuote(file)}`]);
      }
      if (auth.caCert) {
        const file = join(tmpDir, 'ca.crt');
        await writePrivate(file, auth.caCert);
        config.push([`http.${at}.sslCAInfo`, file]);
      }
      if (auth.clientCert) {
        const cert = join(tmpDir, 'tls.crt');
        const key = join(tmpDir, 'tls.key');
        await writePrivate(cert, auth.clientCert.cert);
        await writePrivate(key, auth.clientCert.key);
        config.push([`http.${at}.sslCert`, cert], [`http.${at}.sslKey`, key]);
      }
    }
    const secrets = secretStrings(auth);
    return await fn({ env: { ...gitEnvironment(tmpDir, opts.env, config), ...env }, tmpDir, auth, redact: (t) => redactSecrets(t, secrets) });
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
}
