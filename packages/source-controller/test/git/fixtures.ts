/**
 * Test fixtures for the git adapter: work trees that commit, tag and push to repositories on
 * the environment's real git server, with the git CLI.
 */
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createGitRepo, runCommand, type EnvInfo, type GitServerRepo } from '@eddy/testkit';
import { afterAll, onTestFinished } from 'vitest';

/** Environment of test-side git commands: no user or system config, no prompts. */
export function testGitEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'],
    HOME: tmpdir(),
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'Eddy Test',
    GIT_AUTHOR_EMAIL: 'test@eddy.dev',
    GIT_COMMITTER_NAME: 'Eddy Test',
    GIT_COMMITTER_EMAIL: 'test@eddy.dev',
    ...extra,
  };
}

/** Folders made outside a test (in beforeAll), removed after the test file. */
const fileScoped: string[] = [];
afterAll(async () => {
  await Promise.all(fileScoped.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A temporary folder removed when the current test finishes (or the test file, outside a test). */
export async function tempDir(prefix = 'eddy-git-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    onTestFinished(async () => {
      await rm(dir, { recursive: true, force: true });
    });
  } catch {
    fileScoped.push(dir);
  }
  return dir;
}

/** A work tree pushing to one repository of the git server over HTTP with the server's credentials. */
export class WorkTree {
  readonly dir: string;
  readonly repo: GitServerRepo;
  readonly env: NodeJS.ProcessEnv;

  constructor(dir: string, repo: GitServerRepo, env: NodeJS.ProcessEnv) {
    this.dir = dir;
    this.repo = repo;
    this.env = env;
  }

  /** Runs git in the work tree and returns its trimmed stdout. */
  async git(...args: string[]): Promise<string> {
    return (await runCommand('git', args, { cwd: this.dir, env: this.env })).trim();
  }

  /** Writes files (path → content) and commits them; returns the commit id. */
  async commit(files: Record<string, string>, message = 'change', extraArgs: string[] = []): Promise<string> {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(this.dir, path)), { recursive: true });
      await writeFile(join(this.dir, path), content);
    }
    await this.git('add', '--all');
    await this.git('commit', '--quiet', '--allow-empty', '-m', message, ...extraArgs);
    return await this.git('rev-parse', 'HEAD');
  }

  /** Pushes refspecs (e.g. `HEAD:refs/heads/main`, `--tags`) to the server. */
  async push(...refspecs: string[]): Promise<void> {
    await this.git('push', '--quiet', '--force', this.repo.httpUrlWithAuth, ...refspecs);
  }
}

/** A new repository on the server and a work tree on branch `main` for it. */
export async function newRepo(env: EnvInfo, opts: { public?: boolean; gitEnv?: NodeJS.ProcessEnv } = {}): Promise<WorkTree> {
  const repo = await createGitRepo(env, { public: opts.public ?? false });
  const dir = await tempDir('eddy-git-work-');
  const gitEnv = opts.gitEnv ?? testGitEnv();
  await runCommand('git', ['init', '--quiet', '--initial-branch=main', dir], { env: gitEnv });
  return new WorkTree(dir, repo, gitEnv);
}

/** The Secret data for the git server's basic auth. */
export function basicAuthData(env: EnvInfo, password = env.git.http.password): Record<string, string> {
  return { username: env.git.http.username, password };
}

/** The Secret data for the git server's SSH key and known_hosts. */
export async function sshAuthData(env: EnvInfo): Promise<Record<string, Buffer>> {
  return {
    identity: await readFile(env.git.ssh.privateKeyFile),
    known_hosts: await readFile(env.git.ssh.knownHostsFile),
  };
}
