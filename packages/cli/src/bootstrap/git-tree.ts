/**
 * One branch of a Git repository checked out for `eddy bootstrap`: fetched into a private
 * temporary folder through the runtime's git adapter (a hermetic environment; credentials in
 * 0600 files only git reads, never on a command line or in a URL), changed, committed and
 * pushed. Every git failure becomes one {@link CliError} line naming what was done and to which
 * repository, with the credentials and URL userinfo removed.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ToolError, classifyGitFailure, lastLines, redactUrls, runTool, withGitSession, type Deadline, type GitAuth, type GitSession } from '@eddy/runtime';
import { CliError } from '../errors.ts';

/** Who commits: `--author-name` and `--author-email`. */
export interface GitAuthor {
  name: string;
  email: string;
}

/** Where the branch stood on the server when it was fetched. */
export type BranchOrigin = 'existing' | 'from-default-branch' | 'empty-repository';

/** Options of {@link withGitTree}. */
export interface GitTreeOptions {
  url: string;
  branch: string;
  auth: GitAuth | undefined;
  /** PATH (and proxies) for git, from the CLI's environment. */
  env: Record<string, string>;
  deadline: Deadline;
  /** How the credentials were given, for the hint of an authentication failure (`--username and --password`). */
  credentialsHint: string;
}

/** A push the server refused because the branch moved on since the fetch: fetch again and redo. */
export class PushRejectedError extends CliError {}

/** The hint for a failed git command, by what its stderr says. */
function meaning(err: ToolError, opts: GitTreeOptions): string {
  const said = lastLines(err.stderr.replace(/^(remote: |hint: ).*$/gm, ''), 2);
  const quoted = said ? ` (${said})` : '';
  switch (classifyGitFailure(err.stderr, err.stopped)) {
    case 'authentication':
      if (opts.auth?.transport === 'ssh' || /Permission denied \(/.test(err.stderr)) return `the server refused the SSH key${quoted}; check ${opts.credentialsHint}`;
      if (/returned error: 403/.test(err.stderr)) return `access denied (403); check that ${opts.credentialsHint} may push to the repository`;
      return opts.auth ? `authentication failed (401); check ${opts.credentialsHint}` : `the repository needs credentials (401): pass ${opts.credentialsHint}`;
    case 'host-key':
      return `the server's SSH host key does not match the one scanned${quoted}`;
    case 'repository-not-found':
      return `repository not found${quoted}`;
    case 'unreachable':
      return `cannot reach the server${quoted}`;
    case 'server-certificate':
    case 'client-certificate':
    case 'tls-handshake':
      return `TLS failed${quoted}`;
    case 'timeout':
      return `timed out (see --timeout)`;
    case 'canceled':
      return 'canceled';
    default:
      return said || err.message;
  }
}

/** A checked-out branch; made by {@link withGitTree}. */
export class GitTree {
  /** The working copy. */
  readonly dir: string;
  readonly #opts: GitTreeOptions;
  readonly #session: GitSession;

  constructor(dir: string, opts: GitTreeOptions, session: GitSession) {
    this.dir = dir;
    this.#opts = opts;
    this.#session = session;
  }

  /** Runs git in the working copy; `action` names the step in a failure (`fetching branch "main"`). */
  async git(action: string, args: readonly string[], env: Record<string, string> = {}): Promise<string> {
    try {
      const out = await runTool('git', ['-C', this.dir, ...args], {
        env: { ...this.#session.env, ...env },
        deadline: this.#opts.deadline,
        redact: this.#session.redact,
      });
      return out.stdout;
    } catch (err) {
      if (!(err instanceof ToolError)) throw err;
      const message = this.#session.redact(redactUrls(`${action} of ${this.#opts.url}: ${meaning(err, this.#opts)}`));
      if (/\[rejected\]|non-fast-forward|fetch first|failed to update ref|cannot lock ref/.test(err.stderr)) throw new PushRejectedError(message, { cause: err });
      throw new CliError(message, { cause: err });
    }
  }

  /**
   * Fetches the branch and checks it out. A branch the server does not have yet starts from
   * the repository's default branch, or empty in an empty repository.
   */
  async checkout(): Promise<BranchOrigin> {
    const { url, branch } = this.#opts;
    const refs = await this.git(`listing the branches`, ['ls-remote', '--symref', url]);
    const has = (ref: string): boolean => refs.split('\n').some((l) => l.split('\t')[1] === ref);
    if (has(`refs/heads/${branch}`)) {
      await this.git(`fetching branch "${branch}"`, ['fetch', '--quiet', '--no-tags', url, `refs/heads/${branch}`]);
      await this.git(`checking out branch "${branch}"`, ['checkout', '--quiet', '-B', branch, 'FETCH_HEAD']);
      return 'existing';
    }
    if (has('HEAD')) {
      await this.git('fetching the default branch', ['fetch', '--quiet', '--no-tags', url, 'HEAD']);
      await this.git(`creating branch "${branch}"`, ['checkout', '--quiet', '-B', branch, 'FETCH_HEAD']);
      return 'from-default-branch';
    }
    return 'empty-repository';
  }

  /** The text of a file of the working copy, or undefined when it does not exist. */
  async read(path: string): Promise<string | undefined> {
    try {
      return await readFile(join(this.dir, path), 'utf8');
    } catch {
      return undefined;
    }
  }

  /** Writes files (paths relative to the repository root), making their folders. */
  async write(files: Readonly<Record<string, string>>): Promise<void> {
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(this.dir, path)), { recursive: true });
      await writeFile(join(this.dir, path), text);
    }
  }

  /** Commits `paths` when they changed; returns the new commit's SHA, or undefined when nothing changed. */
  async commit(paths: readonly string[], message: string, author: GitAuthor): Promise<string | undefined> {
    await this.git('staging files', ['add', '--', ...paths]);
    if (!(await this.git('comparing files', ['status', '--porcelain', '--', ...paths])).trim()) return undefined;
    const who = { GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email, GIT_COMMITTER_NAME: author.name, GIT_COMMITTER_EMAIL: author.email };
    await this.git('committing', ['commit', '--quiet', '--no-verify', '-m', message, '--', ...paths], who);
    return await this.head();
  }

  /** The SHA of the checked-out commit, or '' on an empty branch. */
  async head(): Promise<string> {
    try {
      return (await runTool('git', ['-C', this.dir, 'rev-parse', '--verify', '--quiet', 'HEAD'], { env: this.#session.env, deadline: this.#opts.deadline, redact: this.#session.redact })).stdout.trim();
    } catch {
      return '';
    }
  }

  /** Pushes the branch; a {@link PushRejectedError} when the server's branch moved on meanwhile. */
  async push(): Promise<void> {
    await this.git(`pushing branch "${this.#opts.branch}"`, ['push', '--quiet', this.#opts.url, `HEAD:refs/heads/${this.#opts.branch}`]);
  }
}

/** Runs `fn` on a fresh, empty working copy of `opts.branch` (call {@link GitTree.checkout} first); removed afterwards with its credentials. */
export async function withGitTree<T>(opts: GitTreeOptions, fn: (tree: GitTree) => Promise<T>): Promise<T> {
  return await withGitSession(opts.url, opts.auth, { env: opts.env }, async (session) => {
    const dir = join(session.tmpDir, 'repository');
    try {
      await runTool('git', ['init', '--quiet', `--initial-branch=${opts.branch}`, dir], { env: session.env, deadline: opts.deadline, redact: session.redact });
    } catch (err) {
      throw new CliError(`cannot create a working copy: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    return await fn(new GitTree(dir, opts, session));
  });
}
