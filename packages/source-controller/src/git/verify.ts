/**
 * Signature verification of the checked-out commit and tag (`spec.verify`), with the keys of
 * `spec.verify.secretRef`: keys ending in `.sshpub` are SSH public keys (authorized_keys
 * format), every other key is an OpenPGP public key or keyring (`.asc` armored), as Flux reads
 * them.
 *
 * git itself checks the signature (`git verify-commit`/`git verify-tag`): for OpenPGP it runs
 * `gpg` with a temporary `GNUPGHOME` holding only the Secret's keys; for SSH it runs
 * `ssh-keygen -Y verify` against a temporary `gpg.ssh.allowedSignersFile` holding only the
 * Secret's keys, each under its key name as principal. The object's own signature header says
 * which kind it is, so a tool that is missing (gpg is Debian's `gnupg`) is reported only when a
 * signature of its kind must be checked.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Reason, type GitRepositoryVerification } from '@eddy/api';
import { Deadline, ReconcileError, ToolError, formatMs, gitEnvironment, lastLines, runTool, type Logger, type SecretData } from '@eddy/runtime';

/** `spec.verify.mode`: `head`/`HEAD` checks the commit, `Tag` the tag, `TagAndHEAD` both. */
export type VerificationMode = NonNullable<GitRepositoryVerification['mode']>;

/** Options of {@link verifySignatures}. */
export interface VerifyOptions {
  /** What to verify; `HEAD` when unset (the API's default). */
  mode?: VerificationMode;
  /** The data of the `spec.verify.secretRef` Secret: the trusted public keys. */
  keys: SecretData;
  /** Name of that Secret, for messages. */
  secretName?: string;
  /** The tag the checkout resolved (CheckoutResult.tag); required by `Tag` and `TagAndHEAD`. */
  tag?: string;
  /** Time limit for the verification (`spec.timeout`). */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Extra environment (PATH) given by main.ts. */
  env?: Record<string, string>;
  /** Folder for the temporary keyring; the system's temp folder by default. */
  tmpRoot?: string;
  logger?: Logger;
}

/** The signature formats git can check here. */
export type SignatureFormat = 'openpgp' | 'ssh';

/** One verified signature. */
export interface VerifiedSignature {
  object: 'commit' | 'tag';
  /** The commit id, or the tag name. */
  id: string;
  format: SignatureFormat;
  /** Who signed: the OpenPGP user id and fingerprint, or the Secret key name and SSH key fingerprint. */
  signer: string;
}

/** What {@link verifySignatures} verified. */
export interface VerificationResult {
  mode: VerificationMode;
  signatures: VerifiedSignature[];
  /** A one-line summary for the SourceVerified condition. */
  message: string;
}

function verificationError(message: string): ReconcileError {
  return new ReconcileError(Reason.VerificationError, message);
}

/** Which kind of signature a signed object carries, from its armor; undefined when it has none. */
export function signatureFormat(signature: string): SignatureFormat | 'x509' | undefined {
  if (signature.includes('-----BEGIN PGP SIGNATURE-----')) return 'openpgp';
  if (signature.includes('-----BEGIN SSH SIGNATURE-----')) return 'ssh';
  if (signature.includes('-----BEGIN SIGNED MESSAGE-----')) return 'x509';
  return undefined;
}

/** The `gpgsig` header of a raw commit object (`git cat-file commit`), or '' when unsigned. */
export function commitSignature(raw: string): string {
  const headerEnd = raw.indexOf('\n\n');
  const lines = (headerEnd < 0 ? raw : raw.slice(0, headerEnd)).split('\n');
  const out: string[] = [];
  let inSig = false;
  for (const line of lines) {
    if (line.startsWith('gpgsig ') || line.startsWith('gpgsig-sha256 ')) {
      inSig = true;
      out.push(line.slice(line.indexOf(' ') + 1));
    } else if (inSig && line.startsWith(' ')) {
      out.push(line.slice(1));
    } else {
      inSig = false;
    }
  }
  return out.join('\n');
}

/** The signature block at the end of a raw tag object's message (`git cat-file tag`), or ''. */
export function tagSignature(raw: string): string {
  const m = /-----BEGIN (PGP SIGNATURE|SSH SIGNATURE|SIGNED MESSAGE)-----[\s\S]*$/.exec(raw);
  return m ? m[0] : '';
}

/**
 * Lines of an allowed-signers file (`gpg.ssh.allowedSignersFile`) for SSH public keys in
 * authorized_keys format: one `<principal> namespaces="git" <type> <key>` per key, the
 * principal being the Secret key name. Options and comments of the input are dropped.
 */
export function allowedSigners(principal: string, authorizedKeys: string): string[] {
  const out: string[] = [];
  for (const line of authorizedKeys.split(/\r?\n/)) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const tokens = t.split(/\s+/);
    const i = tokens.findIndex((x) => /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp\d+|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)$/.test(x));
    const key = i >= 0 ? tokens[i + 1] : undefined;
    if (i < 0 || !key) continue;
    out.push(`${principal} namespaces="git" ${tokens[i]} ${key}`);
  }
  return out;
}

/** The key names of a verification Secret by kind: `.sshpub` are SSH, everything else OpenPGP. */
export function splitVerificationKeys(keys: SecretData): { ssh: [string, Buffer][]; openpgp: [string, Buffer][] } {
  const ssh: [string, Buffer][] = [];
  const openpgp: [string, Buffer][] = [];
  for (const [name, v] of Object.entries(keys)) {
    const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
    if (!b.length) continue;
    (name.endsWith('.sshpub') ? ssh : openpgp).push([name, b]);
  }
  return { ssh, openpgp };
}

/**
 * The signer named in the raw output of `git verify-commit --raw`: gpg's `GOODSIG` user id and
 * `VALIDSIG` fingerprint, or ssh-keygen's principal and key fingerprint.
 */
export function signerOf(format: SignatureFormat, output: string): string {
  if (format === 'openpgp') {
    const uid = /\[GNUPG:\] GOODSIG \S+ (.*)/.exec(output)?.[1]?.trim();
    const fpr = /\[GNUPG:\] VALIDSIG (\S+)/.exec(output)?.[1];
    return [uid, fpr ? `(${fpr})` : undefined].filter(Boolean).join(' ') || 'unknown OpenPGP key';
  }
  const m = /Good "git" signature for (\S+) with (\S+) key (\S+)/.exec(output);
  return m ? `${m[1]} (${m[2]} ${m[3]})` : 'unknown SSH key';
}

/** Why a verification failed, from the raw output of git verify-commit/verify-tag. */
export function verificationFailure(format: SignatureFormat, output: string, secret: string): string {
  if (format === 'openpgp') {
    if (/\[GNUPG:\] (ERRSIG .* 9|NO_PUBKEY)/.test(output)) {
      const key = /\[GNUPG:\] NO_PUBKEY (\S+)/.exec(output)?.[1];
      return `signed with OpenPGP key ${key ?? '(unknown)'}, which is not among the keys of ${secret}`;
    }
    if (/\[GNUPG:\] BADSIG/.test(output)) return 'the OpenPGP signature does not match the content (BADSIG)';
    if (/\[GNUPG:\] EXPKEYSIG/.test(output)) return 'signed with an expired OpenPGP key';
    if (/\[GNUPG:\] REVKEYSIG/.test(output)) return 'signed with a revoked OpenPGP key';
    if (/\[GNUPG:\] EXPSIG/.test(output)) return 'the OpenPGP signature has expired';
  } else {
    if (/No principal matched/i.test(output)) return `signed with an SSH key that is not among the keys of ${secret}`;
    if (/Signature verification failed|incorrect signature/i.test(output)) return 'the SSH signature does not match the content';
  }
  return lastLines(output.replace(/^\[GNUPG:\].*$/gm, ''), 3) || 'verification failed';
}

/**
 * Verifies the signatures `mode` asks for in the checkout at `dir`: the commit `commit`
 * (`HEAD`/`head`), the tag `opts.tag` (`Tag`), or both (`TagAndHEAD`). Returns who signed.
 *
 * Throws ReconcileError (VerificationError) when an object is unsigned, signed by a key not in
 * the Secret, has a bad signature, is signed in a format the Secret has no keys for, when
 * `Tag` is asked but no tag was checked out, or when the tool a signature needs is missing
 * (`gpg` for OpenPGP, `ssh-keygen` for SSH). Temporary keyrings are removed before it returns.
 */
export async function verifySignatures(dir: string, commit: string, opts: VerifyOptions): Promise<VerificationResult> {
  const mode = opts.mode ?? 'HEAD';
  const secret = opts.secretName ? `Secret '${opts.secretName}'` : 'the verification Secret';
  const wantTag = mode === 'Tag' || mode === 'TagAndHEAD';
  const wantCommit = mode !== 'Tag';
  if (wantTag && !opts.tag) {
    throw verificationError(`cannot verify the tag signature (verify mode '${mode}'): spec.ref does not select a tag; use tag, semver or a refs/tags/ name`);
  }
  const keys = splitVerificationKeys(opts.keys);
  if (!keys.ssh.length && !keys.openpgp.length) throw verificationError(`${secret} holds no public keys (OpenPGP keys, or SSH keys in keys ending in .sshpub)`);

  const tmp = await mkdtemp(join(opts.tmpRoot ?? tmpdir(), 'eddy-verify-'));
  try {
    await chmod(tmp, 0o700);
    const gnupgHome = join(tmp, 'gnupg');
    const signersFile = join(tmp, 'allowed_signers');
    await mkdir(gnupgHome, { mode: 0o700 });
    // gpg must not start an agent or a keyboxd that would outlive this folder.
    await writeFile(join(gnupgHome, 'gpg.conf'), 'no-autostart\n', { mode: 0o600 });
    const signers = keys.ssh.flatMap(([name, key]) => allowedSigners(name, key.toString('utf8')));
    await writeFile(signersFile, signers.length ? `${signers.join('\n')}\n` : '', { mode: 0o600 });
    const env = {
      ...gitEnvironment(tmp, opts.env, [
        ['gpg.program', 'gpg'],
        ['gpg.ssh.program', 'ssh-keygen'],
        ['gpg.ssh.allowedSignersFile', signersFile],
      ]),
      GNUPGHOME: gnupgHome,
    };
    using deadline = new Deadline(opts.timeoutMs, opts.signal);
    const redact = (t: string): string => t;
    const run = (program: string, args: string[]): ReturnType<typeof runTool> => runTool(program, args, { env, deadline, cwd: dir, redact });
    let pgpReady = false;
    const preparePgp = async (): Promise<void> => {
      if (pgpReady) return;
      if (!keys.openpgp.length) return;
      await requireTool(run, 'gpg', ['--version'], 'OpenPGP signatures need gpg, which is not installed on this machine (Debian package gnupg)');
      for (const [name, key] of keys.openpgp) {
        const file = join(tmp, 'key.pgp');
        await writeFile(file, key, { mode: 0o600 });
        try {
          await run('gpg', ['--batch', '--quiet', '--no-tty', '--homedir', gnupgHome, '--import', file]);
        } catch (err) {
          throw verificationError(`cannot import OpenPGP key '${name}' of ${secret}: ${err instanceof ToolError ? lastLines(err.stderr, 2) || err.message : String(err)}`);
        }
      }
      pgpReady = true;
    };

    const verifyOne = async (object: 'commit' | 'tag', id: string): Promise<VerifiedSignature> => {
      const what = object === 'commit' ? `commit '${id}'` : `tag '${id}'`;
      const rev = object === 'commit' ? id : `refs/tags/${id}`;
      let raw: string;
      if (object === 'tag') {
        const type = (await run('git', ['cat-file', '-t', rev])).stdout.trim();
        if (type !== 'tag') throw verificationError(`signature verification of ${what} failed: it is a lightweight tag, which cannot carry a signature`);
        raw = (await run('git', ['cat-file', 'tag', rev])).stdout;
      } else {
        raw = (await run('git', ['cat-file', 'commit', rev])).stdout;
      }
      const format = signatureFormat(object === 'commit' ? commitSignature(raw) : tagSignature(raw));
      if (!format) throw verificationError(`signature verification of ${what} failed: it is not signed`);
      if (format === 'x509') throw verificationError(`signature verification of ${what} failed: X.509 (gpgsm) signatures are not supported; use OpenPGP or SSH`);
      if (format === 'openpgp') {
        if (!keys.openpgp.length) throw verificationError(`signature verification of ${what} failed: it has an OpenPGP signature and ${secret} holds no OpenPGP keys`);
        await preparePgp();
      } else {
        if (!signers.length) throw verificationError(`signature verification of ${what} failed: it has an SSH signature and ${secret} holds no SSH keys (keys ending in .sshpub)`);
        await requireTool(run, 'ssh-keygen', ['-Y', 'find-principals', '-?'], 'SSH signatures need ssh-keygen, which is not installed on this machine (Debian package openssh-client)', true);
      }
      try {
        const out = await run('git', [object === 'commit' ? 'verify-commit' : 'verify-tag', '--raw', rev]);
        return { object, id, format, signer: signerOf(format, out.stderr + out.stdout) };
      } catch (err) {
        if (err instanceof ToolError && err.stopped) throw toolStopped(err, what, deadline);
        const output = err instanceof ToolError ? err.stderr : String(err);
        throw verificationError(`signature verification of ${what} failed: ${verificationFailure(format, output, secret)}`);
      }
    };

    const signatures: VerifiedSignature[] = [];
    try {
      if (wantTag && opts.tag) signatures.push(await verifyOne('tag', opts.tag));
      if (wantCommit) signatures.push(await verifyOne('commit', commit));
    } catch (err) {
      if (err instanceof ReconcileError) throw err;
      if (err instanceof ToolError && err.stopped) throw toolStopped(err, 'the signature', deadline);
      throw verificationError(`signature verification failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    opts.logger?.debug('verified signatures', { mode, signers: signatures.map((s) => s.signer) });
    const message = signatures.map((s) => `verified ${s.format === 'openpgp' ? 'OpenPGP' : 'SSH'} signature of ${s.object} '${s.id}' by ${s.signer}`).join('; ');
    return { mode, signatures, message };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

function toolStopped(err: ToolError, what: string, deadline: Deadline): ReconcileError {
  const why = err.stopped === 'timeout' ? `timed out after ${formatMs(deadline.timeoutMs)} (spec.timeout)` : err.stopped === 'canceled' ? 'canceled' : err.message;
  return verificationError(`signature verification of ${what} failed: ${why}`);
}

/**
 * Fails with a clear message when a program cannot be started. `anyExit` accepts a non-zero
 * exit (ssh-keygen has no version flag; a usage error proves it runs).
 */
async function requireTool(run: (program: string, args: string[]) => ReturnType<typeof runTool>, program: string, args: string[], missing: string, anyExit = false): Promise<void> {
  try {
    await run(program, args);
  } catch (err) {
    if (err instanceof ToolError && err.stopped === 'spawn-failed') throw verificationError(missing);
    if (anyExit && err instanceof ToolError && !err.stopped) return;
    throw err;
  }
}
