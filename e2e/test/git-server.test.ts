// The git server: smart HTTP with basic auth (push needs the user; private repositories refuse
// anonymous readers) and SSH with key auth on its own sshd, whose host key is checked.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGitRepo, gitSshEnv, runCommand, testEnv, type GitServerRepo } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const gitEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '/bin/false' };
let work: string;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'eddy-git-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function git(args: string[], env: NodeJS.ProcessEnv = gitEnv, cwd = work): Promise<string> {
  return await runCommand(testEnv().tools.git, args, { cwd, env });
}

/** Makes a commit in a new local repository and pushes it to `url`'s main branch. */
async function pushCommit(url: string, env: NodeJS.ProcessEnv = gitEnv): Promise<string> {
  const dir = await mkdtemp(join(work, 'src-'));
  await git(['init', '--quiet', '--initial-branch=main', dir]);
  await writeFile(join(dir, 'app.yaml'), 'kind: ConfigMap\n');
  await git(['-C', dir, 'add', '.']);
  await git(['-C', dir, '-c', 'user.name=Eddy Test', '-c', 'user.email=test@eddy.invalid', 'commit', '--quiet', '-m', 'first']);
  await git(['-C', dir, 'push', '--quiet', url, 'main'], env);
  return (await git(['-C', dir, 'rev-parse', 'HEAD'])).trim();
}

function withCredentials(repo: GitServerRepo, username: string, password: string): string {
  const u = new URL(repo.httpUrl);
  u.username = username;
  u.password = password;
  return u.href;
}

describe('git over HTTP', () => {
  it('pushes and clones with the right credentials', async () => {
    const repo = await createGitRepo(testEnv());
    const head = await pushCommit(repo.httpUrlWithAuth);
    await git(['clone', '--quiet', repo.httpUrlWithAuth, 'clone']);
    expect((await git(['-C', join(work, 'clone'), 'rev-parse', 'HEAD'])).trim()).toBe(head);
    expect(await readFile(join(work, 'clone', 'app.yaml'), 'utf8')).toBe('kind: ConfigMap\n');
  });

  it('refuses a wrong password, and anonymous access to a private repository', async () => {
    const env = testEnv();
    const repo = await createGitRepo(env);
    await pushCommit(repo.httpUrlWithAuth);
    await expect(git(['clone', '--quiet', withCredentials(repo, env.git.http.username, 'wrong'), 'a'])).rejects.toThrow(/Authentication failed|401/);
    await expect(git(['clone', '--quiet', repo.httpUrl, 'b'])).rejects.toThrow(/could not read Username|Authentication failed|401/);
    await expect(pushCommit(withCredentials(repo, env.git.http.username, 'wrong'))).rejects.toThrow(/Authentication failed|401/);
  });

  it('lets anyone clone a public repository but only the user push to it', async () => {
    const env = testEnv();
    const repo = await createGitRepo(env, { public: true });
    const head = await pushCommit(repo.httpUrlWithAuth);
    await git(['clone', '--quiet', repo.httpUrl, 'anon']);
    expect((await git(['-C', join(work, 'anon'), 'rev-parse', 'HEAD'])).trim()).toBe(head);
    await expect(pushCommit(repo.httpUrl)).rejects.toThrow(/could not read Username|Authentication failed|401/);
  });
});

describe('git over SSH', () => {
  it('clones and pushes with the key when the host key is known', async () => {
    const env = testEnv();
    const repo = await createGitRepo(env);
    const head = await pushCommit(repo.sshUrl, gitSshEnv(env));
    await git(['clone', '--quiet', repo.sshUrl, 'ssh-clone'], gitSshEnv(env));
    expect((await git(['-C', join(work, 'ssh-clone'), 'rev-parse', 'HEAD'])).trim()).toBe(head);
  });

  it('fails against an unknown host key', async () => {
    const env = testEnv();
    const repo = await createGitRepo(env);
    await pushCommit(repo.httpUrlWithAuth);
    const emptyKnownHosts = join(work, 'known_hosts');
    await writeFile(emptyKnownHosts, '');
    await expect(git(['clone', '--quiet', repo.sshUrl, 'x'], gitSshEnv(env, emptyKnownHosts))).rejects.toThrow(/Host key verification failed/);
  });

  it('fails with a key the server does not know', async () => {
    const env = testEnv();
    const repo = await createGitRepo(env);
    await pushCommit(repo.httpUrlWithAuth);
    const key = join(work, 'other_key');
    await runCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const other = { ...gitSshEnv(env), GIT_SSH_COMMAND: gitSshEnv(env)['GIT_SSH_COMMAND']!.replace(env.git.ssh.privateKeyFile, key) };
    await expect(git(['clone', '--quiet', repo.sshUrl, 'y'], other)).rejects.toThrow(/Permission denied/);
  });
});
