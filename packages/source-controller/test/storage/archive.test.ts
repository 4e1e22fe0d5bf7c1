import { createHash } from 'node:crypto';
import { appendFile, chmod, lstat, readdir, readFile, readlink, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ArchiveRejectedError, archiveDirectory, DigestMismatchError, digestFile, extractArchive, verifyDigest } from '../../src/storage/archive.ts';
import { loadIgnoreRules } from '../../src/storage/ignore.ts';
import { listArchive, rawTar, removeTempDirs, tempDir, writeTree, type RawEntry, type Tree } from './helpers.ts';

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

describe('extractArchive', () => {
  /** Writes a hand-built archive and extracts it into a fresh folder. */
  async function extract(entries: RawEntry[], maxSize = 1 << 20, gzip = true): Promise<{ dest: string; parent: string }> {
    const parent = await tempDir();
    const file = join(parent, 'in.tar.gz');
    await writeFile(file, rawTar(entries, gzip));
    const dest = join(parent, 'out', 'dest');
    await extractArchive(file, dest, { maxSize });
    return { dest, parent };
  }

  /** The refusal of `entries`: [entry, message]. */
  async function refusal(entries: RawEntry[], maxSize?: number): Promise<[string | undefined, string]> {
    try {
      await extract(entries, maxSize);
    } catch (err) {
      if (!(err instanceof ArchiveRejectedError)) throw err;
      return [err.entry, err.message];
    }
    throw new Error('archive was accepted');
  }

  it('extracts a valid archive: files, directories, in-tree links, normalised modes', async () => {
    const { dest } = await extract([
      { path: 'dir/', type: 'Directory', mode: 0o700 },
      { path: 'dir/a.yaml', body: 'a', mode: 0o4755 },
      { path: './b.yaml', body: 'b', mode: 0o600 },
      { path: 'dir/link.yaml', type: 'SymbolicLink', linkpath: '../b.yaml' },
      { path: 'hard.yaml', type: 'Link', linkpath: 'b.yaml' },
    ]);
    expect(await readFile(join(dest, 'dir/a.yaml'), 'utf8')).toBe('a');
    expect(await readFile(join(dest, 'dir/link.yaml'), 'utf8')).toBe('b');
    expect(await readlink(join(dest, 'dir/link.yaml'))).toBe('../b.yaml');
    expect(await readFile(join(dest, 'hard.yaml'), 'utf8')).toBe('b');
    expect((await lstat(join(dest, 'dir/a.yaml'))).mode & 0o7777).toBe(0o755);
    expect((await lstat(join(dest, 'b.yaml'))).mode & 0o7777).toBe(0o644);
  });

  it('round-trips an archive made by archiveDirectory, plain tar too', async () => {
    const { file } = await archiveTree({ 'x/y.yaml': 'y', 'x/l': { symlink: 'y.yaml' } });
    const dest = join(await tempDir(), 'd');
    await extractArchive(file, dest, { maxSize: 100 });
    expect([await readFile(join(dest, 'x/y.yaml'), 'utf8'), await readlink(join(dest, 'x/l'))]).toEqual(['y', 'y.yaml']);
    const plain = await extract([{ path: 'p.yaml', body: 'p' }], 100, false);
    expect(await readFile(join(plain.dest, 'p.yaml'), 'utf8')).toBe('p');
  });

  it.each<[string, RawEntry[], string, RegExp]>([
    ['a ../ path', [{ path: 'ok.yaml', body: 'x' }, { path: '../evil', body: 'x' }], '../evil', /"\.\.\/evil" escapes the destination/],
    ['a nested ../ path', [{ path: 'a/../../evil', body: 'x' }], 'a/../../evil', /escapes the destination/],
    ['an absolute path', [{ path: '/tmp/evil', body: 'x' }], '/tmp/evil', /"\/tmp\/evil" has an absolute path/],
    ['a symlink to /etc', [{ path: 'etc', type: 'SymbolicLink', linkpath: '/etc' }], 'etc', /"etc" is a symlink to "\/etc", outside the destination/],
    ['a symlink climbing out', [{ path: 'a/up', type: 'SymbolicLink', linkpath: '../../..' }], 'a/up', /symlink to "\.\.\/\.\.\/\.\.", outside/],
    [
      'a chain of in-tree symlinks leaving the tree',
      [
        { path: 'a', type: 'SymbolicLink', linkpath: '.' },
        { path: 'b', type: 'SymbolicLink', linkpath: 'a/..' },
      ],
      'b',
      /"b" is a symlink to "a\/\.\.", outside/,
    ],
    [
      'an entry written through a symlink',
      [
        { path: 'sub/', type: 'Directory' },
        { path: 'd', type: 'SymbolicLink', linkpath: 'sub' },
        { path: 'd/file', body: 'x' },
      ],
      'd/file',
      /placed through the symlink "d"/,
    ],
    ['a hard link to /etc/passwd', [{ path: 'pw', type: 'Link', linkpath: '/etc/passwd' }], 'pw', /hard link to "\/etc\/passwd", which is not a file of the archive/],
    ['a hard link climbing out', [{ path: 'pw', type: 'Link', linkpath: '../../etc/passwd' }], 'pw', /hard link/],
    ['a character device', [{ path: 'null', type: 'CharacterDevice' }], 'null', /"null" is a CharacterDevice, which is not allowed/],
    ['a FIFO', [{ path: 'fifo', type: 'FIFO' }], 'fifo', /is a FIFO/],
  ])('refuses %s, naming the entry', async (_name, entries, entry, message) => {
    const [actualEntry, actualMessage] = await refusal(entries);
    expect(actualEntry).toBe(entry);
    expect(actualMessage).toMatch(message);
  });

  it('writes nothing when an archive is refused', async () => {
    const parent = await tempDir();
    const file = join(parent, 'in.tar.gz');
    await writeFile(file, rawTar([{ path: 'first.yaml', body: 'x' }, { path: '../evil', body: 'x' }]));
    await expect(extractArchive(file, join(parent, 'out'), { maxSize: 100 })).rejects.toThrow(ArchiveRejectedError);
    expect((await readdir(parent)).sort()).toEqual(['in.tar.gz']);
  });

  it('enforces the size limit and the entry limit', async () => {
    const entries = [
      { path: 'a', body: 'x'.repeat(600) },
      { path: 'b', body: 'y'.repeat(600) },
    ];
    expect(await refusal(entries, 1000)).toEqual(['b', 'archive exceeds the size limit of 1000 bytes at entry "b"']);
    const { dest } = await extract(entries, 1200);
    expect((await readdir(dest)).sort()).toEqual(['a', 'b']);
    const parent = await tempDir();
    const file = join(parent, 'in.tar.gz');
    await writeFile(file, rawTar(entries));
    await expect(extractArchive(file, join(parent, 'o'), { maxSize: 10_000, maxEntries: 1 })).rejects.toThrow('archive has more than 1 entries');
  });

  it('refuses something that is not a tar archive', async () => {
    const parent = await tempDir();
    const file = join(parent, 'junk.tar.gz');
    await writeFile(file, 'this is not a tarball at all'.repeat(40));
    await expect(extractArchive(file, join(parent, 'o'), { maxSize: 10_000 })).rejects.toThrow();
  });

  it('honours an aborted signal', async () => {
    const parent = await tempDir();
    const file = join(parent, 'in.tar.gz');
    await writeFile(file, rawTar([{ path: 'a', body: 'a' }]));
    await expect(extractArchive(file, join(parent, 'o'), { maxSize: 10, signal: AbortSignal.abort() })).rejects.toThrow(/abort/i);
  });
});

describe('verifyDigest', () => {
  it('accepts the right digest and names both digests when the file was tampered with', async () => {
    const dir = await tempDir();
    const file = join(dir, 'a.tar.gz');
    await writeFile(file, 'content');
    const digest = sha256(Buffer.from('content'));
    await verifyDigest(file, digest);
    expect(await digestFile(file)).toBe(digest);
    await appendFile(file, '!');
    const tampered = sha256(Buffer.from('content!'));
    const err = await verifyDigest(file, digest).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DigestMismatchError);
    expect((err as DigestMismatchError).message).toBe(`digest mismatch for a.tar.gz: expected ${digest}, got ${tampered}`);
    expect([(err as DigestMismatchError).expected, (err as DigestMismatchError).actual]).toEqual([digest, tampered]);
  });

  it('supports sha384 and sha512, and refuses unknown or malformed digests', async () => {
    const dir = await tempDir();
    const file = join(dir, 'f');
    await writeFile(file, 'x');
    await verifyDigest(file, `sha512:${createHash('sha512').update('x').digest('hex')}`);
    await verifyDigest(file, `sha384:${createHash('sha384').update('x').digest('hex')}`);
    await expect(verifyDigest(file, 'blake3:abcd')).rejects.toThrow('unsupported digest algorithm "blake3"');
    await expect(verifyDigest(file, 'not a digest')).rejects.toThrow(/invalid digest/);
  });
});
