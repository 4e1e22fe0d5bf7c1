import { createHash } from 'node:crypto';
import { chmod, readdir, readFile, readlink, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { extractArchive } from '@eddy/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { archiveDirectory } from '../../src/storage/archive.ts';
import { loadIgnoreRules } from '../../src/storage/ignore.ts';
import { listArchive, removeTempDirs, tempDir, writeTree, type Tree } from './helpers.ts';

afterEach(removeTempDirs);

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A tree touching every default exclusion next to files that must stay. */
const repoTree: Tree = {
  '.git/config': '[core]\n',
  '.git/HEAD': 'ref: refs/heads/main\n',
  '.gitignore': 'node_modules\n',
  '.gitmodules': '',
  '.github/workflows/ci.yml': 'on: push\n',
  '.travis.yml': '',
  'README.md': '# demo\n',
  'deploy/app.yaml': 'kind: ConfigMap\n',
  'deploy/.sops.yaml': 'creation_rules: []\n',
  'deploy/nested/svc.yaml': 'kind: Service\n',
  'img/logo.png': 'png',
  'dist/old.tar.gz': 'gz',
  'scripts/run.sh': { content: '#!/bin/sh\n', mode: 0o775 },
  '.flux.yaml': '',
};

/** Archives `tree` with the Flux rules (spec.ignore optional) and returns the file and result. */
async function archiveTree(tree: Tree, specIgnore?: string): Promise<{ file: string; digest: string; size: number; skipped: { path: string; reason: string }[]; src: string }> {
  const src = await tempDir();
  await writeTree(src, tree);
  const out = await tempDir();
  const file = join(out, 'artifact.tar.gz');
  const result = await archiveDirectory(src, file, { ignore: await loadIgnoreRules(src, specIgnore) });
  return { file, src, ...result };
}

describe('archiveDirectory', () => {
  it('archives exactly the files the default exclusions leave, in sorted order', async () => {
    const { file } = await archiveTree(repoTree);
    expect((await listArchive(file)).map((e) => e.path)).toEqual(['README.md', 'deploy/app.yaml', 'deploy/nested/svc.yaml', 'scripts/run.sh']);
  });

  it('honours .sourceignore files and spec.ignore', async () => {
    const withSourceIgnore = await archiveTree({ ...repoTree, '.sourceignore': '*.md\n', 'deploy/.sourceignore': 'nested/\n' });
    expect((await listArchive(withSourceIgnore.file)).map((e) => e.path)).toEqual(['.sourceignore', 'deploy/.sourceignore', 'deploy/app.yaml', 'scripts/run.sh']);
    const withSpec = await archiveTree(repoTree, '/*\n!/deploy/\n');
    expect((await listArchive(withSpec.file)).map((e) => e.path)).toEqual(['deploy/.sops.yaml', 'deploy/app.yaml', 'deploy/nested/svc.yaml']);
  });

  it('writes normalised headers: mtime 0, owner 0, no names, modes 0644/0755', async () => {
    const { file } = await archiveTree({ 'a.yaml': 'a: 1\n', 'bin/tool': { content: 'x', mode: 0o700 }, 'g.yaml': { content: 'g', mode: 0o664 } });
    expect((await listArchive(file)).map((e) => ({ ...e, content: undefined }))).toEqual([
      { path: 'a.yaml', type: 'File', mode: 0o644, size: 5, uid: 0, gid: 0, uname: '', gname: '', mtime: 0, linkpath: undefined },
      { path: 'bin/tool', type: 'File', mode: 0o755, size: 1, uid: 0, gid: 0, uname: '', gname: '', mtime: 0, linkpath: undefined },
      { path: 'g.yaml', type: 'File', mode: 0o644, size: 1, uid: 0, gid: 0, uname: '', gname: '', mtime: 0, linkpath: undefined },
    ]);
  });

  it('writes a gzip stream without timestamp or file name', async () => {
    const { file } = await archiveTree({ 'a.yaml': 'a' });
    const head = (await readFile(file)).subarray(0, 10);
    expect([head[0], head[1], head[3], head.readUInt32LE(4)]).toEqual([0x1f, 0x8b, 0, 0]);
  });

  it('gives the same digest for the same content, whatever the mtimes and permission bits', async () => {
    const a = await archiveTree(repoTree);
    const b = await archiveTree(repoTree);
    await utimes(join(b.src, 'README.md'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    await chmod(join(b.src, 'deploy/app.yaml'), 0o664);
    const again = join(await tempDir(), 'again.tar.gz');
    const c = await archiveDirectory(b.src, again, { ignore: await loadIgnoreRules(b.src, undefined) });
    expect(a.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect([b.digest, c.digest]).toEqual([a.digest, a.digest]);
    expect(sha256(await readFile(a.file))).toBe(a.digest);
    expect((await stat(a.file)).size).toBe(a.size);
  });

  it('changes the digest and the content when a file or an ignore rule changes', async () => {
    const base = await archiveTree(repoTree);
    const edited = await archiveTree({ ...repoTree, 'deploy/app.yaml': 'kind: Secret\n' });
    const ruled = await archiveTree(repoTree, 'README.md\n');
    expect(new Set([base.digest, edited.digest, ruled.digest]).size).toBe(3);
    expect((await listArchive(edited.file)).find((e) => e.path === 'deploy/app.yaml')?.content).toBe('kind: Secret\n');
    expect((await listArchive(ruled.file)).map((e) => e.path)).toEqual(['.flux.yaml', '.github/workflows/ci.yml', '.travis.yml', 'deploy/.sops.yaml', 'deploy/app.yaml', 'deploy/nested/svc.yaml', 'dist/old.tar.gz', 'img/logo.png', 'scripts/run.sh']);
  });

  it('keeps symlinks that stay inside the tree and reports the others', async () => {
    const src = await tempDir();
    await writeTree(src, {
      'base/app.yaml': 'a',
      'overlay/app.yaml': { symlink: '../base/app.yaml' },
      'overlay/base': { symlink: '../base' },
      'abs.yaml': { symlink: join(src, 'base/app.yaml') },
      'etc': { symlink: '/etc' },
      'passwd': { symlink: '../../../../../../../../etc/passwd' },
      'dangling': { symlink: 'missing.yaml' },
      'via/escape': { symlink: '../etc/hostname' },
    });
    const file = join(await tempDir(), 'a.tar.gz');
    const result = await archiveDirectory(src, file);
    const entries = await listArchive(file);
    expect(entries.map((e) => [e.path, e.type, e.linkpath])).toEqual([
      ['abs.yaml', 'SymbolicLink', 'base/app.yaml'],
      ['base/app.yaml', 'File', undefined],
      ['overlay/app.yaml', 'SymbolicLink', '../base/app.yaml'],
      ['overlay/base', 'SymbolicLink', '../base'],
    ]);
    expect(result.skipped).toEqual([
      { path: 'dangling', reason: 'symlink to missing.yaml does not resolve (dangling or a loop)' },
      { path: 'etc', reason: 'symlink to /etc points outside the archived directory' },
      { path: 'passwd', reason: 'symlink to ../../../../../../../../etc/passwd points outside the archived directory' },
      { path: 'via/escape', reason: 'symlink to ../etc/hostname resolves outside the archived directory' },
    ]);
  });

  it('round-trips long paths through PAX headers', async () => {
    const long = `${'deep/'.repeat(40)}${'n'.repeat(120)}.yaml`;
    const { file } = await archiveTree({ [long]: 'deep' });
    const out = await tempDir();
    await extractArchive(file, out, { maxSize: 1024 });
    expect(await readFile(join(out, long), 'utf8')).toBe('deep');
  });

  it('round-trips symlinks through extractArchive', async () => {
    const { file } = await archiveTree({ 'x/y.yaml': 'y', 'x/l': { symlink: 'y.yaml' } });
    const dest = join(await tempDir(), 'd');
    await extractArchive(file, dest, { maxSize: 100 });
    expect([await readFile(join(dest, 'x/y.yaml'), 'utf8'), await readlink(join(dest, 'x/l'))]).toEqual(['y', 'y.yaml']);
  });

  it('leaves nothing behind when aborted, and refuses to write into the archived folder', async () => {
    const src = await tempDir();
    await writeTree(src, { 'a.yaml': 'a' });
    const out = await tempDir();
    await expect(archiveDirectory(src, join(out, 'x.tar.gz'), { signal: AbortSignal.abort() })).rejects.toThrow(/abort/i);
    expect(await readdir(out)).toEqual([]);
    await expect(archiveDirectory(src, join(src, 'sub', 'x.tar.gz'))).rejects.toThrow(/inside the directory itself/);
  });

  it('replaces an existing artifact atomically and leaves no temporary file', async () => {
    const src = await tempDir();
    await writeTree(src, { 'a.yaml': 'one' });
    const out = await tempDir();
    const file = join(out, 'a.tar.gz');
    await archiveDirectory(src, file);
    await writeFile(join(src, 'a.yaml'), 'two');
    const second = await archiveDirectory(src, file);
    expect(await readdir(out)).toEqual(['a.tar.gz']);
    expect(sha256(await readFile(file))).toBe(second.digest);
  });
});
