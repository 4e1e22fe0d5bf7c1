/**
 * Checking out a GitRepository's reference with the git CLI, and asking the remote cheaply
 * (`git ls-remote`) what a reference points at, so a reconcile can skip the clone when nothing
 * changed (Flux's OptimizedGitClones).
 *
 * A checkout is `git init` + `git fetch` of exactly the one reference (depth 1 wherever
 * possible) + `git checkout --detach`, rather than `git clone`: a fetch with an explicit
 * refspec handles every kind of reference the same way (branches, tags, `refs/pull/N/head`,
 * bare commits), never lets a user's branch name be read as an option, and leaves a sparse
 * checkout configured before the first file is written.
 */
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Reason, type GitRepositoryRef } from '@eddy/api';
import {
  Deadline,
  ReconcileError,
  ToolError,
  classifyGitFailure,
  gitError,
  gitTransport,
  redactUrls,
  runTool,
  withGitSession,
  type GitAuth,
  type GitSession,
  type Logger,
  type ToolOutput,
} from '@eddy/runtime';
import {
  describeRef,
  gitRevision,
  parseLsRemote,
  pickSemverTag,
  refCommit,
  selectReference,
  sparseDir,
  sparsePatterns,
  tagNames,
  type SelectedRef,
} from './refs.ts';

/** Options shared by every remote git operation. */
export interface GitOptions {
  /** Credentials from {@link gitAuthFromSecret}; undefined when there is no `spec.secretRef`. */
  auth?: GitAuth;
  /** Time limit for the whole operation (`spec.timeout`, default 60s). */
  timeoutMs: number;
  /** The reconcile's signal: aborting it kills every git process of the operation. */
  signal?: AbortSignal;
  /** Extra environment (PATH, proxy variables) given by main.ts; runtime code never reads process.env. */
  env?: Record<string, string>;
  /** Folder for temporary credential files; the system's temp folder by default. */
  tmpRoot?: string;
  /** Receives one debug line per git command (command and duration, never arguments). */
  logger?: Logger;
}

/** Options of {@link checkout}. */
export interface CheckoutOptions extends GitOptions {
  /** Also check out submodules, recursively, at depth 1, with the same credentials. */
  recurseSubmodules?: boolean;
  /** Check out only these folders (`spec.sparseCheckout`); each must exist in the revision. */
  sparseCheckout?: readonly string[];
  /**
   * The revision of the artifact already stored. When the remote reference still resolves to
   * exactly this revision, nothing is cloned and the result says `skipped`. Leave it unset
   * when the artifact must be rebuilt anyway (e.g. `spec.ignore` changed). Never used for a
   * `commit` reference (as Flux).
   */
  lastRevision?: string;
}

/** What a checkout produced. */
export interface CheckoutResult {
  /** The artifact revision: `main@sha1:<hex>`, `v1.0.0@sha1:<hex>`, `refs/pull/1/head@sha1:<hex>`, `sha1:<hex>`. */
  revision: string;
  /** The commit checked out (for annotated tags, the commit the tag points at). */
  commit: string;
  /** The full reference checked out (`refs/heads/main`, `refs/tags/v1.0.0`), or the commit for a bare commit. */
  ref: string;
  /** The tag checked out (`tag`, `semver`, or a `refs/tags/` name): what `verify` mode `Tag` checks. */
  tag?: string;
  /** True when `lastRevision` was still current and nothing was cloned (`dir` is untouched). */
  skipped: boolean;
}

/** A reference resolved on the remote. */
interface ResolvedRemote {
  /** Full ref name on the remote. */
  refName: string;
  /** The name in the revision string. */
  revisionName: string;
  commit: string;
  tag?: string;
}

async function git(s: GitSession, deadline: Deadline, args: string[], opts: { cwd?: string; maxOutputBytes?: number; logger?: Logger } = {}): Promise<ToolOutput> {
  const started = Date.now();
  try {
    return await runTool('git', args, { env: s.env, deadline, cwd: opts.cwd ?? s.tmpDir, redact: s.redact, maxOutputBytes: opts.maxOutputBytes });
  } finally {
    opts.logger?.debug('git command', { command: `git ${args[0] ?? ''}`, durationMs: Date.now() - started });
  }
}

/** `git ls-remote` output can be large on busy hosts (every tag); bounded all the same. */
const maxLsRemoteBytes = 32 * 1024 * 1024;

async function lsRemote(s: GitSession, deadline: Deadline, url: string, patterns: string[], logger?: Logger, options: string[] = []): Promise<ReturnType<typeof parseLsRemote>> {
  const { stdout } = await git(s, deadline, ['ls-remote', ...options, '--', url, ...patterns], { maxOutputBytes: maxLsRemoteBytes, logger });
  return parseLsRemote(stdout);
}

function notFound(message: string): ReconcileError {
  return new ReconcileError(Reason.GitOperationFailed, message);
}

/**
 * What a (non-commit) reference points at on the remote, with `git ls-remote`. Throws a
 * ReconcileError naming the reference when the remote does not have it.
 */
async function resolveRemote(s: GitSession, deadline: Deadline, url: string, sel: Exclude<SelectedRef, { kind: 'commit' }>, logger?: Logger): Promise<ResolvedRemote> {
  const where = `'${redactUrls(url)}'`;
  switch (sel.kind) {
    case 'branch': {
      const refName = `refs/heads/${sel.branch}`;
      const r = (await lsRemote(s, deadline, url, [refName], logger)).get(refName);
      if (!r) throw notFound(`branch '${sel.branch}' not found in ${where}`);
      return { refName, revisionName: sel.branch, commit: refCommit(r) };
    }
    case 'tag': {
      const refName = `refs/tags/${sel.tag}`;
      const r = (await lsRemote(s, deadline, url, [refName, `${refName}^{}`], logger)).get(refName);
      if (!r) throw notFound(`tag '${sel.tag}' not found in ${where}`);
      return { refName, revisionName: sel.tag, commit: refCommit(r), tag: sel.tag };
    }
    case 'name': {
      const r = (await lsRemote(s, deadline, url, [sel.name, `${sel.name}^{}`], logger)).get(sel.name);
      if (!r) throw notFound(`reference '${sel.name}' not found in ${where}`);
      const tag = sel.name.startsWith('refs/tags/') ? sel.name.slice('refs/tags/'.length) : undefined;
      return { refName: sel.name, revisionName: sel.name, commit: refCommit(r), ...(tag ? { tag } : {}) };
    }
    case 'semver': {
      const refs = await lsRemote(s, deadline, url, [], logger, ['--tags']);
      const tag = pickSemverTag(tagNames(refs), sel.range);
      const r = tag === undefined ? undefined : refs.get(`refs/tags/${tag}`);
      if (tag === undefined || !r) throw notFound(`no tag in ${where} matches semver range '${sel.range}'`);
      return { refName: `refs/tags/${tag}`, revisionName: tag, commit: refCommit(r), tag };
    }
  }
}

/**
 * The revision the remote currently has for a reference, in the artifact revision format,
 * using only `git ls-remote` (no clone): compare it with the stored artifact's revision to
 * skip a clone when nothing changed. A commit reference needs no remote call: its revision is
 * the commit itself (`sha1:<hex>`, or `<branch>@sha1:<hex>`).
 *
 * Throws ReconcileError: AuthenticationFailed for credential problems, GitOperationFailed for
 * anything else, including a reference the remote does not have.
 */
export async function remoteRevision(url: string, ref: GitRepositoryRef | undefined, opts: GitOptions): Promise<string> {
  gitTransport(url);
  const sel = selectReference(ref);
  if (sel.kind === 'commit') return gitRevision(sel.branch, sel.commit);
  return await withGitSession(url, opts.auth, opts, async (s) => {
    using deadline = new Deadline(opts.timeoutMs, opts.signal);
    try {
      const r = await resolveRemote(s, deadline, url, sel, opts.logger);
      return gitRevision(r.revisionName, r.commit);
    } catch (err) {
      throw gitError(err, { action: `unable to list references of '${redactUrls(url)}'`, auth: opts.auth, redact: s.redact, ref: describeRef(sel), timeoutMs: opts.timeoutMs });
    }
  });
}

/**
 * Checks out `ref` of the repository at `url` into `dir` (created if missing; must be empty),
 * following Flux's reference semantics: precedence commit > name > semver > tag > branch, and
 * branch `master` when nothing is set. Branches, tags, semver-selected tags and names are
 * fetched at depth 1; a bare commit is fetched at depth 1 when the server allows fetching by
 * id (else all branches and tags are fetched to find it); a commit with a branch fetches that
 * branch's history to check the commit is on it.
 *
 * With `lastRevision` equal to what the remote still has, returns `skipped: true` without
 * cloning. Throws ReconcileError: AuthenticationFailed for credential problems (wrong
 * password, unknown SSH key, host key or TLS certificate mismatch), GitOperationFailed for
 * anything else, including an unknown reference (the message names it). Messages start with
 * `failed to checkout and determine revision:` and never contain credentials. The caller owns
 * `dir` and removes it.
 */
export async function checkout(url: string, ref: GitRepositoryRef | undefined, dir: string, opts: CheckoutOptions): Promise<CheckoutResult> {
  gitTransport(url);
  const sel = selectReference(ref);
  const sparse = opts.sparseCheckout?.length ? opts.sparseCheckout.map(sparseDir) : undefined;
  const logger = opts.logger;
  return await withGitSession(url, opts.auth, opts, async (s) => {
    using deadline = new Deadline(opts.timeoutMs, opts.signal);
    const errorContext = { auth: opts.auth, redact: s.redact, ref: describeRef(sel), timeoutMs: opts.timeoutMs, prefix: 'failed to checkout and determine revision: ' };
    let action = `unable to clone '${redactUrls(url)}'`;
    try {
      // Resolve on the remote first where it decides what to fetch (semver) or may spare the clone.
      let resolved: ResolvedRemote | undefined;
      if (sel.kind === 'semver' || (opts.lastRevision && sel.kind !== 'commit')) {
        action = `unable to list references of '${redactUrls(url)}'`;
        resolved = await resolveRemote(s, deadline, url, sel, logger);
        action = `unable to clone '${redactUrls(url)}'`;
        const revision = gitRevision(resolved.revisionName, resolved.commit);
        if (opts.lastRevision === revision) {
          return { revision, commit: resolved.commit, ref: resolved.refName, ...(resolved.tag ? { tag: resolved.tag } : {}), skipped: true };
        }
      }

      await mkdir(dir, { recursive: true });
      if ((await readdir(dir)).length > 0) throw new ReconcileError(Reason.GitOperationFailed, `checkout folder '${dir}' is not empty`);
      const run = (args: string[], maxOutputBytes?: number): Promise<ToolOutput> => git(s, deadline, args, { cwd: dir, maxOutputBytes, logger });
      await run(['init', '--quiet']);
      await run(['remote', 'add', 'origin', url]);
      if (sparse) {
        // Non-cone patterns, written before anything is checked out: only these folders land.
        await run(['config', 'core.sparseCheckout', 'true']);
        await run(['config', 'core.sparseCheckoutCone', 'false']);
        await writeFile(join(dir, '.git', 'info', 'sparse-checkout'), `${sparsePatterns(sparse).join('\n')}\n`);
      }

      // Fetch exactly the reference, and learn which commit it is.
      const fetched = await fetchReference(run, sel, resolved);
      await run(['checkout', '--quiet', '--detach', fetched.commit]);
      if (opts.recurseSubmodules) {
        action = `unable to check out the submodules of '${redactUrls(url)}'`;
        await run(['submodule', 'update', '--init', '--recursive', '--depth', '1', '--quiet']);
      }
      if (sparse) await checkSparseDirs(dir, sparse, fetched.revision);
      return { ...fetched, skipped: false };
    } catch (err) {
      // Our own errors (reference not found, folder not empty) get the same prefix as git's.
      if (err instanceof ReconcileError) throw new ReconcileError(err.reason, s.redact(`${errorContext.prefix}${err.message}`), { cause: err });
      throw gitError(err, { ...errorContext, action });
    }
  });
}

type Run = (args: string[], maxOutputBytes?: number) => Promise<ToolOutput>;

async function revParse(run: Run, rev: string): Promise<string> {
  return (await run(['rev-parse', '--verify', '--quiet', rev])).stdout.trim();
}

/** Fetches the selected reference into the new repository and returns what it resolved to. */
async function fetchReference(run: Run, sel: SelectedRef, resolved: ResolvedRemote | undefined): Promise<Omit<CheckoutResult, 'skipped'>> {
  const fetch = ['fetch', '--quiet', '--no-tags', '--no-recurse-submodules'];
  switch (sel.kind) {
    case 'branch': {
      const local = `refs/remotes/origin/${sel.branch}`;
      await run([...fetch, '--depth', '1', 'origin', `+refs/heads/${sel.branch}:${local}`]);
      const commit = await revParse(run, `${local}^{commit}`);
      return { revision: gitRevision(sel.branch, commit), commit, ref: `refs/heads/${sel.branch}` };
    }
    case 'tag':
    case 'semver': {
      const tag = sel.kind === 'tag' ? sel.tag : (resolved?.tag ?? '');
      const refName = `refs/tags/${tag}`;
      await run([...fetch, '--depth', '1', 'origin', `+${refName}:${refName}`]);
      const commit = await revParse(run, `${refName}^{commit}`);
      return { revision: gitRevision(tag, commit), commit, ref: refName, tag };
    }
    case 'name': {
      // Tags keep their name (verification needs refs/tags/<tag>); anything else goes under origin/.
      const local = sel.name.startsWith('refs/tags/') ? sel.name : `refs/remotes/origin/${sel.name.slice('refs/'.length)}`;
      await run([...fetch, '--depth', '1', 'origin', `+${sel.name}:${local}`]);
      const commit = await revParse(run, `${local}^{commit}`);
      const tag = sel.name.startsWith('refs/tags/') ? sel.name.slice('refs/tags/'.length) : undefined;
      return { revision: gitRevision(sel.name, commit), commit, ref: sel.name, ...(tag ? { tag } : {}) };
    }
    case 'commit': {
      if (sel.branch) {
        // The whole branch: the commit must be on it, which only its history can tell.
        const local = `refs/remotes/origin/${sel.branch}`;
        await run([...fetch, 'origin', `+refs/heads/${sel.branch}:${local}`]);
        if (!(await hasCommit(run, sel.commit))) throw notFound(`commit '${sel.commit}' not found on branch '${sel.branch}'`);
        try {
          await run(['merge-base', '--is-ancestor', sel.commit, local]);
        } catch (err) {
          if (err instanceof ToolError && err.exitCode === 1) throw notFound(`commit '${sel.commit}' not found on branch '${sel.branch}'`);
          throw err;
        }
        return { revision: gitRevision(sel.branch, sel.commit), commit: sel.commit, ref: `refs/heads/${sel.branch}` };
      }
      try {
        await run([...fetch, '--depth', '1', 'origin', sel.commit]);
      } catch (err) {
        if (!(err instanceof ToolError) || classifyGitFailure(err.stderr, err.stopped) !== 'ref-not-found') throw err;
        // Servers that refuse fetching by id: fetch every branch and tag and look there.
        await run([...fetch, 'origin', '+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*']);
      }
      if (!(await hasCommit(run, sel.commit))) throw notFound(`commit '${sel.commit}' not found`);
      return { revision: gitRevision(undefined, sel.commit), commit: sel.commit, ref: sel.commit };
    }
  }
}

async function hasCommit(run: Run, commit: string): Promise<boolean> {
  try {
    await run(['cat-file', '-e', `${commit}^{commit}`]);
    return true;
  } catch (err) {
    if (err instanceof ToolError && err.exitCode !== undefined) return false;
    throw err;
  }
}

/** Each sparse-checkout folder must exist in the revision, as Flux checks. */
async function checkSparseDirs(dir: string, dirs: readonly string[], revision: string): Promise<void> {
  for (const d of dirs) {
    const st = await stat(join(dir, d)).catch(() => undefined);
    if (!st?.isDirectory()) throw notFound(`sparse checkout folder '${d}' does not exist in revision '${revision}'`);
  }
}
