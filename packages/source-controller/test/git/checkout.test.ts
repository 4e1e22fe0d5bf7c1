import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GitRepositoryRef } from '@eddy/api';
import { ReconcileError, StallingError, gitAuthFromSecret, type GitAuth } from '@eddy/runtime';
import { runCommand, testEnv } from '@eddy/testkit';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { checkout, remoteRevision, type CheckoutOptions, type CheckoutResult } from '../../src/git/checkout.ts';
import { basicAuthData, newRepo, tempDir, testGitEnv, type WorkTree } from './fixtures.ts';

const env = testEnv();
const timeoutMs = 30_000;

async function failure(p: Promise<unknown>): Promise<ReconcileError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ReconcileError) && !(err instanceof StallingError)) throw new Error(`expected a typed error, got ${String(err)}`);
  return err as ReconcileError;
}

/**
 * One repository shared by the reference tests (read-only for them):
 *   master: m1            main: c1 - c2 - c3 (tip)       other: o1 (from c1)
 *   tags: v1.0.0 (annotated, on c2), light (lightweight, on c1), v1.2.0, v1.10 (c3),
 *         v2.0.0-rc.1 (c3), not-a-version (c3); refs/pull/1/head → o1
 */
const r = {} as {
  tree: WorkTree;
  auth: GitAuth;
  url: string;
  m1: string;
  c1: string;
  c2: string;
  c3: string;
  o1: string;
};

beforeAll(async () => {
  const tree = await newRepo(env);
  const m1 = await tree.commit({ 'README.md': 'master\n' }, 'm1');
  await tree.push('HEAD:refs/heads/master');
  await tree.git('checkout', '--quiet', '--orphan', 'work');
  await tree.git('rm', '-rq', '--cached', '.');
  const c1 = await tree.commit({ 'README.md': 'one\n', 'deploy/prod/app.yaml': 'prod: 1\n', 'deploy/dev/app.yaml': 'dev: 1\n' }, 'c1');
  await tree.git('tag', 'light');
  const c2 = await tree.commit({ 'README.md': 'two\n' }, 'c2');
  await tree.git('tag', '-a', 'v1.0.0', '-m', 'release 1.0.0');
  const c3 = await tree.commit({ 'README.md': 'three\n' }, 'c3');
  for (const t of ['v1.2.0', 'v1.10', 'v2.0.0-rc.1', 'not-a-version']) await tree.git('tag', t);
  await tree.push('HEAD:refs/heads/main', '--tags');
  await tree.git('checkout', '--quiet', '-b', 'other', c1);
  const o1 = await tree.commit({ 'README.md': 'other\n' }, 'o1');
  await tree.push('HEAD:refs/heads/other', 'HEAD:refs/pull/1/head');
  await tree.git('checkout', '--quiet', 'work');
  Object.assign(r, { tree, m1, c1, c2, c3, o1, url: tree.repo.httpUrl, auth: gitAuthFromSecret(tree.repo.httpUrl, basicAuthData(env), 'git-auth') });
}, 120_000);

function opts(extra: Partial<CheckoutOptions> = {}): CheckoutOptions {
  return { auth: r.auth, timeoutMs, ...extra };
}

async function checkoutRef(ref: GitRepositoryRef | undefined, extra: Partial<CheckoutOptions> = {}): Promise<{ result: CheckoutResult; dir: string; readme: string }> {
  const dir = join(await tempDir(), 'checkout');
  const result = await checkout(r.url, ref, dir, opts(extra));
  return { result, dir, readme: await readFile(join(dir, 'README.md'), 'utf8').catch(() => '') };
}

async function gitIn(dir: string, ...args: string[]): Promise<string> {
  return (await runCommand('git', args, { cwd: dir, env: testGitEnv() })).trim();
}

describe('checkout: references', () => {
  it('checks out branch master when no reference is set', async () => {
    const { result, readme } = await checkoutRef(undefined);
    expect(result).toEqual({ revision: `master@sha1:${r.m1}`, commit: r.m1, ref: 'refs/heads/master', skipped: false });
    expect(readme).toBe('master\n');
  });

  it('checks out a branch shallowly (depth 1)', async () => {
    const { result, dir, readme } = await checkoutRef({ branch: 'main' });
    expect(result).toEqual({ revision: `main@sha1:${r.c3}`, commit: r.c3, ref: 'refs/heads/main', skipped: false });
    expect(readme).toBe('three\n');
    expect(await gitIn(dir, 'rev-list', '--count', 'HEAD')).toBe('1');
    expect(await gitIn(dir, 'rev-parse', '--is-shallow-repository')).toBe('true');
    expect(await gitIn(dir, 'rev-parse', 'HEAD')).toBe(r.c3);
  });

  it('checks out an annotated tag at its commit, with the tag name in the revision', async () => {
    const { result, dir, readme } = await checkoutRef({ tag: 'v1.0.0' });
    expect(result).toEqual({ revision: `v1.0.0@sha1:${r.c2}`, commit: r.c2, ref: 'refs/tags/v1.0.0', tag: 'v1.0.0', skipped: false });
    expect(readme).toBe('two\n');
    expect(await gitIn(dir, 'cat-file', '-t', 'refs/tags/v1.0.0')).toBe('tag');
    expect(await gitIn(dir, 'rev-list', '--count', 'HEAD')).toBe('1');
  });

  it('checks out a lightweight tag', async () => {
    const { result, readme } = await checkoutRef({ tag: 'light' });
    expect(result).toEqual({ revision: `light@sha1:${r.c1}`, commit: r.c1, ref: 'refs/tags/light', tag: 'light', skipped: false });
    expect(readme).toBe('one\n');
  });

  it('picks the highest tag matching a semver range, ignoring tags that are not versions', async () => {
    expect((await checkoutRef({ semver: '>=1.0.0 <2.0.0' })).result).toEqual({ revision: `v1.10@sha1:${r.c3}`, commit: r.c3, ref: 'refs/tags/v1.10', tag: 'v1.10', skipped: false });
    expect((await checkoutRef({ semver: '~1.0' })).result).toEqual({ revision: `v1.0.0@sha1:${r.c2}`, commit: r.c2, ref: 'refs/tags/v1.0.0', tag: 'v1.0.0', skipped: false });
    expect((await checkoutRef({ semver: '>=2.0.0-rc.0' })).result.revision).toBe(`v2.0.0-rc.1@sha1:${r.c3}`);
  });

  it('checks out a full reference name', async () => {
    const pull = await checkoutRef({ name: 'refs/pull/1/head' });
    expect(pull.result).toEqual({ revision: `refs/pull/1/head@sha1:${r.o1}`, commit: r.o1, ref: 'refs/pull/1/head', skipped: false });
    expect(pull.readme).toBe('other\n');
    expect((await checkoutRef({ name: 'refs/heads/main' })).result).toEqual({ revision: `refs/heads/main@sha1:${r.c3}`, commit: r.c3, ref: 'refs/heads/main', skipped: false });
    expect((await checkoutRef({ name: 'refs/tags/v1.0.0' })).result).toEqual({
      revision: `refs/tags/v1.0.0@sha1:${r.c2}`,
      commit: r.c2,
      ref: 'refs/tags/v1.0.0',
      tag: 'v1.0.0',
      skipped: false,
    });
  });

  it('checks out a bare commit that is not a branch tip', async () => {
    const { result, readme } = await checkoutRef({ commit: r.c1 });
    expect(result).toEqual({ revision: `sha1:${r.c1}`, commit: r.c1, ref: r.c1, skipped: false });
    expect(readme).toBe('one\n');
  });

  it('checks out a commit on a branch, after checking it is on the branch', async () => {
    const { result, readme } = await checkoutRef({ branch: 'main', commit: r.c2 });
    expect(result).toEqual({ revision: `main@sha1:${r.c2}`, commit: r.c2, ref: 'refs/heads/main', skipped: false });
    expect(readme).toBe('two\n');
    const err = await failure(checkoutRef({ branch: 'main', commit: r.o1 }));
    expect({ reason: err.reason, message: err.message }).toEqual({
      reason: 'GitOperationFailed',
      message: `failed to checkout and determine revision: commit '${r.o1}' not found on branch 'main'`,
    });
  });

  it('follows the precedence commit > name > semver > tag > branch', async () => {
    const all = { branch: 'other', tag: 'light', semver: '~1.0', name: 'refs/pull/1/head', commit: r.c1 };
    const want: [GitRepositoryRef, string][] = [
      [all, `other@sha1:${r.c1}`],
      [{ ...all, commit: undefined }, `refs/pull/1/head@sha1:${r.o1}`],
      [{ ...all, commit: undefined, name: undefined }, `v1.0.0@sha1:${r.c2}`],
      [{ ...all, commit: undefined, name: undefined, semver: undefined }, `light@sha1:${r.c1}`],
      [{ ...all, commit: undefined, name: undefined, semver: undefined, tag: undefined }, `other@sha1:${r.o1}`],
    ];
    const got: [GitRepositoryRef, string][] = [];
    for (const [ref] of want) got.push([ref, (await checkoutRef(ref)).result.revision]);
    expect(got).toEqual(want);
  });
});

describe('checkout: unknown and invalid references', () => {
  const prefix = 'failed to checkout and determine revision: ';
  it.each<[string, GitRepositoryRef, RegExp]>([
    ['branch', { branch: 'nope' }, /^unable to clone '[^']+': branch 'nope' not found \(fatal: couldn't find remote ref refs\/heads\/nope\)$/],
    ['tag', { tag: 'v9.9.9' }, /^unable to clone '[^']+': tag 'v9.9.9' not found \(fatal: couldn't find remote ref refs\/tags\/v9.9.9\)$/],
    ['name', { name: 'refs/pull/9/head' }, /^unable to clone '[^']+': reference 'refs\/pull\/9\/head' not found/],
    ['semver', { semver: '>=5.0.0' }, /^no tag in '[^']+' matches semver range '>=5.0.0'$/],
    ['commit', { commit: '0123456789012345678901234567890123456789' }, /^commit '0123456789012345678901234567890123456789' not found$/],
    ['branch name', { branch: '-x' }, /^invalid branch '-x': starts with -$/],
  ])('%s', async (_name, ref, message) => {
    const err = await failure(checkoutRef(ref));
    expect(err.reason).toBe('GitOperationFailed');
    expect(err.message.startsWith(prefix) || err.message.startsWith('invalid')).toBe(true);
    expect(err.message.replace(prefix, '')).toMatch(message);
    expect(err.message).not.toContain(env.git.http.password);
  });

  it('stalls on a URL that is not http, https or ssh', async () => {
    const err = await failure(checkout('git@host:org/repo.git', undefined, await tempDir(), opts()));
    expect(err).toBeInstanceOf(StallingError);
    expect({ reason: err.reason, message: err.message }).toEqual({ reason: 'URLInvalid', message: "invalid Git URL 'git@host:org/repo.git': expected http://, https:// or ssh://" });
  });

  it('refuses a folder that is not empty', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'x'), 'x');
    const err = await failure(checkout(r.url, { branch: 'main' }, dir, opts()));
    expect(err.message).toBe(`failed to checkout and determine revision: checkout folder '${dir}' is not empty`);
  });
});

describe('remote revision and skipping the clone', () => {
  it('equals the checkout revision for every kind of reference', async () => {
    const refs: GitRepositoryRef[] = [undefined as unknown as GitRepositoryRef, { branch: 'main' }, { tag: 'v1.0.0' }, { tag: 'light' }, { semver: '1.x' }, { name: 'refs/pull/1/head' }, { commit: r.c1 }, { branch: 'main', commit: r.c2 }];
    const pairs: [string, string][] = [];
    for (const ref of refs) pairs.push([await remoteRevision(r.url, ref, opts()), (await checkoutRef(ref)).result.revision]);
    for (const [remote, local] of pairs) expect(remote).toBe(local);
    expect(pairs.map(([remote]) => remote)).toEqual([
      `master@sha1:${r.m1}`,
      `main@sha1:${r.c3}`,
      `v1.0.0@sha1:${r.c2}`,
      `light@sha1:${r.c1}`,
      `v1.10@sha1:${r.c3}`,
      `refs/pull/1/head@sha1:${r.o1}`,
      `sha1:${r.c1}`,
      `main@sha1:${r.c2}`,
    ]);
  });

  it('changes after a new commit; checkout skips the clone only while lastRevision is current', async () => {
    const tree = await newRepo(env);
    const url = tree.repo.httpUrl;
    const auth = gitAuthFromSecret(url, basicAuthData(env));
    const first = await tree.commit({ 'a.txt': '1' });
    await tree.push('HEAD:refs/heads/main');
    const rev1 = await remoteRevision(url, { branch: 'main' }, { auth, timeoutMs });
    expect(rev1).toBe(`main@sha1:${first}`);

    const unchanged = join(await tempDir(), 'c');
    expect(await checkout(url, { branch: 'main' }, unchanged, { auth, timeoutMs, lastRevision: rev1 })).toEqual({
      revision: rev1,
      commit: first,
      ref: 'refs/heads/main',
      skipped: true,
    });
    expect(existsSync(unchanged)).toBe(false);

    const second = await tree.commit({ 'a.txt': '2' });
    await tree.push('HEAD:refs/heads/main');
    const rev2 = await remoteRevision(url, { branch: 'main' }, { auth, timeoutMs });
    expect(rev2).toBe(`main@sha1:${second}`);
    const changed = join(await tempDir(), 'c');
    expect(await checkout(url, { branch: 'main' }, changed, { auth, timeoutMs, lastRevision: rev1 })).toEqual({ revision: rev2, commit: second, ref: 'refs/heads/main', skipped: false });
    expect(await readFile(join(changed, 'a.txt'), 'utf8')).toBe('2');
  });

  it('never skips a commit reference', async () => {
    const { result } = await checkoutRef({ commit: r.c1 }, { lastRevision: `sha1:${r.c1}` });
    expect(result.skipped).toBe(false);
  });
});

describe('checkout: submodules and sparse checkout', () => {
  it('checks out submodules, recursively, with the same credentials, only when asked', async () => {
    const leaf = await newRepo(env);
    await leaf.commit({ 'leaf.txt': 'leaf\n' });
    await leaf.push('HEAD:refs/heads/main');
    const sub = await newRepo(env);
    await sub.commit({ 'sub.txt': 'sub\n' });
    const subEnv = testGitEnv({ GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'protocol.file.allow', GIT_CONFIG_VALUE_0: 'always' });
    await sub.git('remote', 'add', 'origin', sub.repo.httpUrlWithAuth);
    await runCommand('git', ['submodule', 'add', '--quiet', '-b', 'main', `../${leaf.repo.path}`, 'leaf'], { cwd: sub.dir, env: subEnv });
    await sub.commit({}, 'add leaf');
    await sub.push('HEAD:refs/heads/main');
    const top = await newRepo(env);
    await top.git('remote', 'add', 'origin', top.repo.httpUrlWithAuth);
    await top.commit({ 'top.txt': 'top\n' });
    await runCommand('git', ['submodule', 'add', '--quiet', '-b', 'main', `../${sub.repo.path}`, 'sub'], { cwd: top.dir, env: subEnv });
    const head = await top.commit({}, 'add sub');
    await top.push('HEAD:refs/heads/main');
    // Relative submodule URLs: credentials come from the session, never from .gitmodules.
    expect(await readFile(join(top.dir, '.gitmodules'), 'utf8')).not.toContain(env.git.http.password);

    const auth = gitAuthFromSecret(top.repo.httpUrl, basicAuthData(env));
    const without = join(await tempDir(), 'c');
    await checkout(top.repo.httpUrl, { branch: 'main' }, without, { auth, timeoutMs });
    expect(await readdir(join(without, 'sub'))).toEqual([]);

    const withSubs = join(await tempDir(), 'c');
    const result = await checkout(top.repo.httpUrl, { branch: 'main' }, withSubs, { auth, timeoutMs, recurseSubmodules: true });
    expect(result).toEqual({ revision: `main@sha1:${head}`, commit: head, ref: 'refs/heads/main', skipped: false });
    expect(await readFile(join(withSubs, 'sub', 'sub.txt'), 'utf8')).toBe('sub\n');
    expect(await readFile(join(withSubs, 'sub', 'leaf', 'leaf.txt'), 'utf8')).toBe('leaf\n');
    expect(await gitIn(join(withSubs, 'sub'), 'rev-list', '--count', 'HEAD')).toBe('1');
  });

  it('checks out only the sparse folders, and fails for a folder that does not exist', async () => {
    const { result, dir } = await checkoutRef({ commit: r.c1 }, { sparseCheckout: ['deploy/prod'] });
    expect(result.revision).toBe(`sha1:${r.c1}`);
    expect((await readdir(dir)).sort()).toEqual(['.git', 'deploy']);
    expect(await readdir(join(dir, 'deploy'))).toEqual(['prod']);
    expect(await readFile(join(dir, 'deploy', 'prod', 'app.yaml'), 'utf8')).toBe('prod: 1\n');

    const err = await failure(checkoutRef({ commit: r.c1 }, { sparseCheckout: ['deploy/staging'] }));
    expect({ reason: err.reason, message: err.message }).toEqual({
      reason: 'GitOperationFailed',
      message: `failed to checkout and determine revision: sparse checkout folder 'deploy/staging' does not exist in revision 'sha1:${r.c1}'`,
    });
  });
});

describe('checkout: time limit and cancellation', () => {
  /** A server that accepts connections and never answers. */
  async function silentServer(): Promise<string> {
    const server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => {
      server.closeAllConnections();
      server.close();
    });
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    return `http://127.0.0.1:${address.port}/x.git`;
  }

  it('stops at spec.timeout', async () => {
    const url = await silentServer();
    const started = Date.now();
    const err = await failure(checkout(url, { branch: 'main' }, join(await tempDir(), 'c'), { timeoutMs: 1_000 }));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect({ reason: err.reason, message: err.message }).toEqual({
      reason: 'GitOperationFailed',
      message: `failed to checkout and determine revision: unable to clone '${url}': timed out after 1s (spec.timeout)`,
    });
  });

  it('stops when the reconcile is canceled', async () => {
    const url = await silentServer();
    const ac = new AbortController();
    const p = remoteRevision(url, { branch: 'main' }, { timeoutMs: 60_000, signal: ac.signal });
    setImmediate(() => ac.abort());
    const err = await failure(p);
    expect(err.message).toBe(`unable to list references of '${url}': canceled`);
  });
});
