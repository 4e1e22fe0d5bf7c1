/** Git repositories on the environment's git server, created on demand by tests. */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { EnvInfo } from './env/info.ts';
import { runCommand } from './env/process.ts';
import { uniqueName } from './kube.ts';

/** A bare repository served over HTTP and SSH. */
export interface GitServerRepo {
  /** Path under the git root, e.g. `fleet-1a2b3c4d.git` or `public/x.git`. */
  path: string;
  /** Folder of the bare repository on disk. */
  dir: string;
  /** HTTP URL without credentials. */
  httpUrl: string;
  /** HTTP URL with the server's user and password in it (for git CLI calls in tests). */
  httpUrlWithAuth: string;
  sshUrl: string;
}

/**
 * Creates an empty bare repository (default branch `main`). With `public`, it is placed under
 * `public/`, which anonymous clients may read; others need the server's credentials.
 */
export async function createGitRepo(env: EnvInfo, opts: { name?: string; public?: boolean } = {}): Promise<GitServerRepo> {
  const path = `${opts.public ? 'public/' : ''}${opts.name ?? uniqueName('repo')}.git`;
  const dir = join(env.git.root, path);
  await mkdir(dirname(dir), { recursive: true });
  await runCommand(env.tools.git, ['init', '--quiet', '--bare', '--initial-branch=main', dir]);
  const http = new URL(env.git.http.url);
  const auth = new URL(env.git.http.url);
  auth.username = env.git.http.username;
  auth.password = env.git.http.password;
  return {
    path,
    dir,
    httpUrl: `${http.origin}/${path}`,
    httpUrlWithAuth: `${auth.href.replace(/\/$/, '')}/${path}`,
    sshUrl: `${env.git.ssh.url}/${path}`,
  };
}

/** An environment for git commands that uses the server's SSH key and known_hosts. */
export function gitSshEnv(env: EnvInfo, knownHostsFile = env.git.ssh.knownHostsFile): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GIT_SSH_COMMAND: `ssh -i ${env.git.ssh.privateKeyFile} -o IdentitiesOnly=yes -o UserKnownHostsFile=${knownHostsFile} -o StrictHostKeyChecking=yes -o BatchMode=yes`,
    GIT_TERMINAL_PROMPT: '0',
  };
}
