/**
 * Artifact archives: deterministic tar.gz creation. Reading them back (digest verification,
 * safe extraction) is @eddy/runtime's `verifyDigest`/`extractArchive`, shared with consumers.
 *
 * An archive of the same content always has the same bytes, hence the same digest, so a
 * reconcile that finds nothing new produces an identical artifact: entries sorted by name,
 * mtime 0, uid/gid 0, no user or group names, modes normalised to 0644/0755, and a gzip stream
 * without timestamp or file name (Node's zlib writes neither).
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { lstat, mkdir, open, readdir, readlink, realpath, rename, rm } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { isInside } from '@eddy/runtime';
import { Header, Pax } from 'tar';
import { compareNames, type IgnorePredicate } from './ignore.ts';

/** An entry of the archived tree that is not in the archive, and why. */
export interface SkippedEntry {
  /** Path relative to the archived root, `/` separated. */
  path: string;
  reason: string;
}

/** What {@link archiveDirectory} wrote. */
export interface ArchiveResult {
  /** `sha256:<hex>` of the .tar.gz bytes. */
  digest: string;
  /** Size of the .tar.gz file in bytes. */
  size: number;
  /** Entries left out for a reason other than the ignore rules (symlinks leaving the tree, sockets, ...). */
  skipped: SkippedEntry[];
}

/** Options of {@link archiveDirectory}. */
export interface ArchiveOptions {
  /** Excludes paths from the archive; nothing is excluded without it. */
  ignore?: IgnorePredicate;
  signal?: AbortSignal;
}

/** An entry to write: a regular file or a symlink, in archive order. */
interface TreeEntry {
  path: string;
  abs: string;
  type: 'File' | 'SymbolicLink';
  mode: number;
  size: number;
  linkpath?: string;
}

const blockSize = 512;
const readChunkSize = 64 * 1024;
const epoch = new Date(0);

/** A pass-through stream that hashes (sha256) and counts the bytes flowing through it. */
export interface MeasuringStream {
  stream: Transform;
  /** `sha256:<hex>` and byte count of everything that passed; call after the pipeline ends. */
  result(): { digest: string; size: number };
}

/** Creates a {@link MeasuringStream}. */
export function measuringStream(): MeasuringStream {
  const hash = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  return { stream, result: () => ({ digest: `sha256:${hash.digest('hex')}`, size }) };
}

/**
 * Writes a deterministic tar.gz of `dir` to `dest` and returns its digest and size. Regular
 * files and symlinks are archived (directories are implied by the paths, as in Flux's
 * archives); a symlink is kept only when it resolves inside `dir`, else it is reported in
 * `skipped`. The archive is written to a temporary file next to `dest` and renamed into place,
 * so a reader never sees a partial file; the temporary file is removed on failure or abort.
 */
export async function archiveDirectory(dir: string, dest: string, options: ArchiveOptions = {}): Promise<ArchiveResult> {
  const { signal } = options;
  signal?.throwIfAborted();
  const root = await realpath(dir);
  const destDir = resolve(dirname(dest));
  if (isInside(root, destDir)) throw new Error(`cannot write the archive of ${dir} inside the directory itself`);
  const skipped: SkippedEntry[] = [];
  const entries = await walkTree(root, options.ignore ?? (() => false), skipped, signal);

  await mkdir(destDir, { recursive: true });
  const tmp = join(destDir, `.${basename(dest)}.tmp-${randomBytes(6).toString('hex')}`);
  const measure = measuringStream();
  try {
    await pipeline(
      Readable.from(tarStream(entries)),
      createGzip({ level: 6 }),
      measure.stream,
      // flush: the data is on disk before the rename makes it visible.
      createWriteStream(tmp, { flags: 'wx', mode: 0o644, flush: true }),
      { signal },
    );
    await rename(tmp, resolve(dest));
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return { ...measure.result(), skipped };
}

/** Lists the entries to archive under `root`, depth-first in byte order of names. */
async function walkTree(root: string, ignore: IgnorePredicate, skipped: SkippedEntry[], signal: AbortSignal | undefined): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const visit = async (relDir: string): Promise<void> => {
    signal?.throwIfAborted();
    const names = (await readdir(relDir === '' ? root : join(root, relDir))).sort(compareNames);
    for (const name of names) {
      const rel = relDir === '' ? name : `${relDir}/${name}`;
      const abs = join(root, rel);
      const st = await lstat(abs);
      if (st.isDirectory()) {
        if (!ignore(rel, true)) await visit(rel);
      } else if (ignore(rel, false)) {
        continue;
      } else if (st.isFile()) {
        out.push({ path: rel, abs, type: 'File', mode: st.mode & 0o111 ? 0o755 : 0o644, size: st.size });
      } else if (st.isSymbolicLink()) {
        const linkpath = await inTreeLinkpath(root, abs);
        if (typeof linkpath === 'string') out.push({ path: rel, abs, type: 'SymbolicLink', mode: 0o777, size: 0, linkpath });
        else skipped.push({ path: rel, reason: linkpath.reason });
      } else {
        skipped.push({ path: rel, reason: 'not a regular file, directory or symlink' });
      }
    }
  };
  await visit('');
  return out;
}

/**
 * The link text to store for the symlink `abs`, relative to its folder, when it resolves
 * inside `root` both lexically and on disk (through any chain of links); else why not.
 */
async function inTreeLinkpath(root: string, abs: string): Promise<string | { reason: string }> {
  const text = await readlink(abs);
  const lexical = resolve(dirname(abs), text);
  if (!isInside(root, lexical)) return { reason: `symlink to ${text} points outside the archived directory` };
  let real: string;
  try {
    real = await realpath(abs);
  } catch {
    return { reason: `symlink to ${text} does not resolve (dangling or a loop)` };
  }
  if (!isInside(root, real)) return { reason: `symlink to ${text} resolves outside the archived directory` };
  // An absolute link inside the tree would not survive extraction elsewhere: store it relative.
  return isAbsolute(text) ? toPosix(relative(dirname(abs), lexical)) || '.' : text;
}

/** The tar stream of `entries`: headers, contents padded to blocks, and the end marker. */
async function* tarStream(entries: TreeEntry[]): AsyncGenerator<Buffer> {
  for (const e of entries) {
    yield* headerBlocks(e);
    if (e.type === 'File' && e.size > 0) {
      yield* fileContent(e);
      const pad = (blockSize - (e.size % blockSize)) % blockSize;
      if (pad) yield Buffer.alloc(pad);
    }
  }
  yield Buffer.alloc(2 * blockSize);
}

/** The header of an entry, preceded by a PAX header when a field does not fit ustar. */
function headerBlocks(e: TreeEntry): Buffer[] {
  const header = new Header({
    path: e.path,
    type: e.type,
    mode: e.mode,
    size: e.size,
    uid: 0,
    gid: 0,
    uname: '',
    gname: '',
    mtime: epoch,
    linkpath: e.linkpath ?? '',
    devmaj: 0,
    devmin: 0,
  });
  const needPax = header.encode();
  const blocks: Buffer[] = [];
  if (needPax) blocks.push(new Pax({ path: e.path, linkpath: e.linkpath, size: e.size }).encode());
  if (!header.block) throw new Error(`cannot encode the tar header of ${e.path}`);
  blocks.push(header.block);
  return blocks;
}

/**
 * The content of a regular file, exactly `size` bytes as listed: opened without following a
 * symlink (the entry was a regular file when listed), and an error if it changed size since.
 */
async function* fileContent(e: TreeEntry): AsyncGenerator<Buffer> {
  const handle = await open(e.abs, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const st = await handle.stat();
    if (!st.isFile() || st.size !== e.size) throw new Error(`${e.path} changed while being archived`);
    let left = e.size;
    while (left > 0) {
      const buf = Buffer.alloc(Math.min(readChunkSize, left));
      const { bytesRead } = await handle.read(buf, 0, buf.length, e.size - left);
      if (bytesRead === 0) throw new Error(`${e.path} changed while being archived`);
      left -= bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

function toPosix(p: string): string {
  return sep === '/' ? p : p.split(sep).join('/');
}
