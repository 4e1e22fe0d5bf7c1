/**
 * The credentials of `eddy bootstrap git`, from its flags: what the CLI's own git commands use,
 * and the data of the Secret the cluster's GitRepository reads, with the keys source-controller
 * reads and `flux bootstrap git` writes — `username`/`password` for HTTP(S), and `identity`,
 * `identity.pub` and `known_hosts` for SSH (the host key scanned from the server, as flux does).
 * A credential never appears in a message: errors name the flag, never its value.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ReconcileFailure, ToolError, gitAuthFromSecret, privateKeyEncrypted, redactUrls, runTool, type Deadline, type GitAuth, type GitTransport } from '@eddy/runtime';
import { CliError } from '../errors.ts';

/** The flags that carry credentials. */
export interface CredentialFlags {
  username?: string;
  password?: string;
  privateKeyFile?: string;
  allowInsecureHttp: boolean;
}

/** What bootstrap authenticates with. */
export interface BootstrapCredentials {
  /** The repository URL, with `--username` as its user for SSH when the URL names none. */
  url: string;
  transport: GitTransport;
  /** Data of the Secret the GitRepository references; undefined for a repository read without credentials. */
  secretData?: Record<string, string>;
  /** The same credentials for the CLI's own git commands. */
  auth?: GitAuth;
  /** The flags to check when the server refuses them, for error messages. */
  hint: string;
  /** `ssh-keygen -l` lines of the scanned host keys (SSH only), to show what is trusted. */
  hostKeys?: string[];
}

/**
 * Checks `--url`: http, https or ssh; no password in it (that belongs in `--password`, so it
 * is not stored in the GitRepository); plain http only with `--allow-insecure-http`, as flux.
 */
export function checkUrl(url: string, allowInsecureHttp: boolean): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new CliError(`invalid --url '${redactUrls(url)}': expected an http://, https:// or ssh:// address`, { usage: true });
  }
  if (!['http:', 'https:', 'ssh:'].includes(u.protocol) || !u.hostname) {
    throw new CliError(`invalid --url '${redactUrls(url)}': expected an http://, https:// or ssh:// address`, { usage: true });
  }
  if (u.password) throw new CliError(`--url '${redactUrls(url)}' must not contain a password: pass it with --password or GIT_PASSWORD`, { usage: true });
  if (u.protocol === 'http:' && !allowInsecureHttp) {
    throw new CliError(`--url '${redactUrls(url)}' uses plain HTTP, which sends credentials and manifests unencrypted: pass --allow-insecure-http to allow it`, { usage: true });
  }
  if (u.protocol !== 'ssh:' && u.username) throw new CliError(`--url '${redactUrls(url)}' must not contain a user: pass it with --username`, { usage: true });
  return u;
}

/** Runs a helper tool (ssh-keygen, ssh-keyscan), failing with `what` and the tool's last words. */
async function tool(program: string, args: readonly string[], env: Record<string, string>, deadline: Deadline, what: string): Promise<string> {
  try {
    return (await runTool(program, args, { env, deadline, redact: (t) => t })).stdout;
  } catch (err) {
    const said = err instanceof ToolError ? err.stderr.trim().split('\n').pop() || `${program} failed (exit ${err.exitCode ?? err.stopped ?? 'unknown'}) without saying why` : String(err);
    throw new CliError(`${what}: ${said}`, { cause: err });
  }
}

/**
 * The SSH credentials: `--private-key-file` (unencrypted: git's ssh runs in batch mode, in the
 * CLI and in source-controller alike), its public key, and the server's host keys scanned with
 * ssh-keyscan (trusted on first use, as `flux bootstrap` does; printed so they can be compared).
 */
async function sshCredentials(u: URL, flags: CredentialFlags, env: Record<string, string>, deadline: Deadline, cwd: string): Promise<Pick<BootstrapCredentials, 'secretData' | 'hostKeys'>> {
  if (!flags.privateKeyFile) throw new CliError('an ssh:// --url needs --private-key-file: the private key the cluster and this command read the repository with', { usage: true });
  if (flags.password) throw new CliError('--password is not used with an ssh:// --url: the key of --private-key-file must not need a passphrase', { usage: true });
  const file = resolve(cwd, flags.privateKeyFile);
  let identity: Buffer;
  try {
    identity = await readFile(file);
  } catch (err) {
    throw new CliError(`cannot read --private-key-file ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(identity.toString('utf8'))) throw new CliError(`--private-key-file ${file} is not a PEM or OpenSSH private key`);
  if (privateKeyEncrypted(identity)) {
    throw new CliError(`--private-key-file ${file} is encrypted with a passphrase, which git in batch mode cannot use: store a copy without one (ssh-keygen -p -N '' -f <copy>)`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'eddy-bootstrap-'));
  try {
    const key = join(dir, 'identity');
    await writeFile(key, identity.toString('utf8').replace(/\r\n/g, '\n').replace(/\n?$/, '\n'), { mode: 0o600 });
    await chmod(key, 0o600);
    const publicKey = (await tool('ssh-keygen', ['-y', '-f', key], env, deadline, `cannot read the public key of --private-key-file ${file}`)).trim();
    const port = u.port || '22';
    const scanned = await tool('ssh-keyscan', ['-p', port, '-T', '10', u.hostname], env, deadline, `cannot scan the SSH host key of ${u.host} (is an SSH server listening there?)`);
    const lines = [...new Set(scanned.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')))].sort();
    if (lines.length === 0) throw new CliError(`cannot scan the SSH host key of ${u.host}: the server sent none`);
    const knownHosts = `${lines.join('\n')}\n`;
    await writeFile(join(dir, 'known_hosts'), knownHosts, { mode: 0o600 });
    const fingerprints = (await tool('ssh-keygen', ['-l', '-f', join(dir, 'known_hosts')], env, deadline, 'cannot fingerprint the scanned host keys')).trim().split('\n');
    return { secretData: { identity: identity.toString('utf8'), 'identity.pub': `${publicKey}\n`, known_hosts: knownHosts }, hostKeys: fingerprints };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The credentials `--url` and the credential flags describe, checked the way source-controller
 * will check the Secret (so a bootstrap never writes a Secret the controller rejects).
 * `GIT_PASSWORD` in the environment stands in for `--password`, keeping it off the command line.
 */
export async function credentialsFromFlags(url: string, flags: CredentialFlags, env: Readonly<Record<string, string | undefined>>, deadline: Deadline, cwd: string): Promise<BootstrapCredentials> {
  const u = checkUrl(url, flags.allowInsecureHttp);
  const toolEnv = { PATH: env['PATH'] ?? '/usr/bin:/bin' };
  let result: BootstrapCredentials;
  if (u.protocol === 'ssh:') {
    if (flags.username && !u.username) u.username = flags.username;
    result = { url: u.href, transport: 'ssh', hint: '--private-key-file (its public key must be authorized on the server)', ...(await sshCredentials(u, flags, toolEnv, deadline, cwd)) };
  } else {
    const password = flags.password ?? env['GIT_PASSWORD'];
    if (password && !flags.username) throw new CliError('--password (or GIT_PASSWORD) needs --username', { usage: true });
    if (flags.username && !password) throw new CliError('--username needs --password (or GIT_PASSWORD)', { usage: true });
    result = { url, transport: u.protocol === 'https:' ? 'https' : 'http', hint: '--username and --password' };
    if (flags.username && password) result.secretData = { username: flags.username, password };
  }
  if (result.secretData) {
    try {
      result.auth = gitAuthFromSecret(result.url, Object.fromEntries(Object.entries(result.secretData).map(([k, v]) => [k, Buffer.from(v)])));
    } catch (err) {
      throw new CliError(`invalid credentials: ${err instanceof ReconcileFailure ? err.message : String(err)}`, { cause: err });
    }
  }
  return result;
}
