import { createHash } from 'node:crypto';
import { appendFile, lstat, readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArchiveRejectedError, DigestMismatchError, digestFile, extractArchive, verifyDigest } from '../../src/artifact/archive.ts';
import { rawTar, tempDir, type RawEntry } from './helpers.ts';

const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

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
      { path: 'dir/hard.yaml', type: 'Link', linkpath: 'dir/a.yaml' },
    ]);
    expect(await readFile(join(dest, 'dir/a.yaml'), 'utf8')).toBe('a');
    expect(await readFile(join(dest, 'dir/link.yaml'), 'utf8')).toBe('b');
    expect(await readlink(join(dest, 'dir/link.yaml'))).toBe('../b.yaml');
    expect(await readFile(join(dest, 'hard.yaml'), 'utf8')).toBe('b');
    expect(await readFile(join(dest, 'dir/hard.yaml'), 'utf8')).toBe('a');
    expect((await lstat(join(dest, 'dir/a.yaml'))).mode & 0o7777).toBe(0o755);
    expect((await lstat(join(dest, 'b.yaml'))).mode & 0o7777).toBe(0o644);
  });

  it('extracts a plain (not gzipped) tar too', async () => {
    const plain = await extract([{ path: 'p.yaml', body: 'p' }], 100, false);
    expect(await readFile(join(plain.dest, 'p.yaml'), 'utf8')).toBe('p');
  });

  it.each<[string, RawEntry[], string, RegExp]>([
    ['a ../ path', [{ path: 'ok.yaml', body: 'x' }, { path: '../evil', body: 'x' }], '../evil', /"\.\.\/evil" escapes the destination/],
    ['a nested ../ path', [{ path: 'a/../../evil', body: 'x' }], 'a/../../evil', /escapes the destination/],
    ['an absolute path', [{ path: '/tmp/evil', body: 'x' }], '/tmp/evil', /"\/tmp\/evil" has an absolute path/],
    ['a symlink to /etc', [{ path: 'etc', type: 'SymbolicLink', linkpath: '/etc' }], 'etc', /"etc" is a symlink to "\/etc", outside the destination/],
    ['a symlink climbing out', [{ path: 'a/up', type: 'SymbolicLink', linkpath: '../../..' }], 'a/up', /symlink to "\.\.\/\.\.\/\.\.", outside/],
    ['a symlink in a folder climbing one level too far', [{ path: 'a/link', type: 'SymbolicLink', linkpath: '../../b.yaml' }], 'a/link', /"a\/link" is a symlink to "\.\.\/\.\.\/b\.yaml", outside/],
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
    [
      'a hard link leaving the tree through a nested ..',
      [
        { path: 'b.yaml', body: 'b' },
        { path: 'a/hard', type: 'Link', linkpath: 'a/../../b.yaml' },
      ],
      'a/hard',
      /"a\/hard" is a hard link to "a\/\.\.\/\.\.\/b\.yaml", which is not a file of the archive/,
    ],
    ['a hard link to a file the archive does not hold', [{ path: 'h', type: 'Link', linkpath: 'missing.yaml' }], 'h', /"h" is a hard link to "missing\.yaml", which is not a file of the archive/],
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
    const digest = sha256('content');
    await verifyDigest(file, digest);
    expect(await digestFile(file)).toBe(digest);
    await appendFile(file, '!');
    const tampered = sha256('content!');
    const err = await verifyDigest(file, digest).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DigestMismatchError);
    const mismatch = err as DigestMismatchError;
    expect([mismatch.message, mismatch.file, mismatch.expected, mismatch.actual]).toEqual([`computed digest ${tampered} doesn't match advertised '${digest}'`, file, digest, tampered]);
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
