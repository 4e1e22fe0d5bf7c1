/**
 * Artifact archives: deterministic tar.gz creation, safe extraction and digest verification.
 *
 * An archive of the same content always has the same bytes, hence the same digest, so a
 * reconcile that finds nothing new produces an identical artifact: entries sorted by name,
 * mtime 0, uid/gid 0, no user or group names, modes normalised to 0644/0755, and a gzip stream
 * without timestamp or file name (Node's zlib writes neither).
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants, createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, open, readdir, readlink, realpath, rename, rm } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { parseDigest } from '@eddy/api';
import { Header, Parser, Pax, Unpack, type ReadEntry } from 'tar';
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

/** Options of {@link extractArchive}. */
export interface ExtractOptions {
  /** Largest total size of the extracted files, in bytes. */
  maxSize: number;
  /** Largest number of entries; 100,000 by default. */
  maxEntries?: number;
  signal?: AbortSignal;
}

/** An archive refused by {@link extractArchive}: an unsafe entry, or one too large. */
export class ArchiveRejectedError extends Error {
  override readonly name = 'ArchiveRejectedError';
  /** The offending entry as the archive names it, when one entry is at fault. */
  readonly entry: string | undefined;
  constructor(message: string, entry?: string) {
    super(message);
    this.entry = entry;
  }
}

/** A file whose content does not have the expected digest. */
export class DigestMismatchError extends Error {
  override readonly name = 'DigestMismatchError';
  readonly expected: string;
  readonly actual: string;
  constructor(file: string, expected: string, actual: string) {
    super(`digest mismatch for ${basename(file)}: expected ${expected}, got ${actual}`);
    this.expected = expected;
    this.actual = actual;
  }
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

/** An entry of an archive being extracted, as the first pass records it. */
interface ListedEntry {
  raw: string;
  path: string;
  type: ReadEntry['type'];
  linkpath: string | undefined;
}

const extractableTypes = new Set<ReadEntry['type']>(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);
const fileTypes = new Set<ReadEntry['type']>(['File', 'OldFile', 'ContiguousFile']);
const maxLinkHops = 40;
const defaultMaxEntries = 100_000;

/**
 * Extracts the tar.gz (or plain tar) `file` into `dest`, which should be a new directory. The
 * whole archive is checked before anything is written, and extraction stops at the first
 * problem, with an {@link ArchiveRejectedError} naming the entry, for: absolute paths, `..`
 * components, links (symbolic or hard) that lead outside `dest` (through any chain of the
 * archive's own symlinks), entries placed through a symlink, device files, FIFOs and other
 * special entries, more than `maxEntries` entries, and files totalling more than `maxSize`
 * bytes. Extracted files get mode 0644 or 0755 and the process's owner.
 */
export async function extractArchive(file: string, dest: string, options: ExtractOptions): Promise<void> {
  const listed = await listChecked(file, options);
  await checkLinks(listed);
  const expected = new Map(listed.map((e) => [e.raw, e]));
  await mkdir(dest, { recursive: true });
  await runTarStream(
    file,
    (fail) =>
      new Unpack({
        cwd: dest,
        strict: true,
        preservePaths: false,
        preserveOwner: false,
        filter: (path, entry) => {
          const e = entry as ReadEntry;
          // The file is read twice; refuse an archive that changed in between.
          const seen = expected.get(path);
          if (!seen || seen.type !== e.type || seen.linkpath !== e.linkpath) {
            fail(new ArchiveRejectedError(`archive entry ${JSON.stringify(path)} changed during extraction`, path));
            return false;
          }
          if (e.type !== 'SymbolicLink') e.mode = e.type === 'Directory' || (e.mode ?? 0) & 0o111 ? 0o755 : 0o644;
          return true;
        },
      }),
    options.signal,
  );
}

/** First pass: reads every header, checking paths, types, sizes and counts. */
async function listChecked(file: string, options: ExtractOptions): Promise<ListedEntry[]> {
  const listed: ListedEntry[] = [];
  const maxEntries = options.maxEntries ?? defaultMaxEntries;
  let total = 0;
  await runTarStream(
    file,
    (fail) =>
      new Parser({
        strict: true,
        onReadEntry: (entry) => {
          try {
            const raw = entry.path;
            if (!extractableTypes.has(entry.type)) throw new ArchiveRejectedError(`archive entry ${JSON.stringify(raw)} is a ${entry.type}, which is not allowed`, raw);
            const path = safeEntryPath(raw);
            if (path === '' && entry.type !== 'Directory') throw new ArchiveRejectedError(`archive entry ${JSON.stringify(raw)} has an empty path`, raw);
            if (listed.length >= maxEntries) throw new ArchiveRejectedError(`archive has more than ${maxEntries} entries`);
            if (fileTypes.has(entry.type)) {
              total += entry.size;
              if (total > options.maxSize) throw new ArchiveRejectedError(`archive exceeds the size limit of ${options.maxSize} bytes at entry ${JSON.stringify(raw)}`, raw);
            }
            listed.push({ raw, path, type: entry.type, linkpath: entry.linkpath });
          } catch (err) {
            fail(err);
          }
          entry.resume();
        },
      }),
    options.signal,
  );
  return listed;
}

/** The entry path relative to the extraction root, or an error naming an unsafe one. */
function safeEntryPath(raw: string): string {
  if (raw.startsWith('/') || /^[a-zA-Z]:/.test(raw) || raw.startsWith('\\')) throw new ArchiveRejectedError(`archive entry ${JSON.stringify(raw)} has an absolute path`, raw);
  if (raw.split(/[/\\]/).includes('..')) throw new ArchiveRejectedError(`archive entry ${JSON.stringify(raw)} escapes the destination with ".."`, raw);
  const path = posix.normalize(raw).replace(/\/+$/, '');
  return path === '.' ? '' : path;
}

/**
 * Second check, over the whole listing: symlinks resolve inside the root through any chain of
 * the archive's symlinks, hard links name a regular file of the archive, and no entry is placed
 * under a path that is a symlink (writing through it could leave the root).
 */
async function checkLinks(listed: ListedEntry[]): Promise<void> {
  const symlinks = new Map<string, string>();
  const files = new Set<string>();
  for (const e of listed) {
    if (e.type === 'SymbolicLink') symlinks.set(e.path, e.linkpath ?? '');
    else if (fileTypes.has(e.type)) files.add(e.path);
  }
  for (const e of listed) {
    const parts = e.path === '' ? [] : e.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (symlinks.has(prefix)) throw new ArchiveRejectedError(`archive entry ${JSON.stringify(e.raw)} is placed through the symlink ${JSON.stringify(prefix)}`, e.raw);
    }
    if (symlinks.has(e.path) && e.type !== 'SymbolicLink') throw new ArchiveRejectedError(`archive entry ${JSON.stringify(e.raw)} is both a symlink and a ${e.type}`, e.raw);
    if (e.type === 'SymbolicLink') {
      const target = e.linkpath ?? '';
      if (target === '' || isAbsolute(target) || !resolvesInside(symlinks, [...parts.slice(0, -1), ...target.split('/')])) {
        throw new ArchiveRejectedError(`archive entry ${JSON.stringify(e.raw)} is a symlink to ${JSON.stringify(target)}, outside the destination`, e.raw);
      }
    } else if (e.type === 'Link') {
      const target = e.linkpath ?? '';
      let inside = false;
      try {
        inside = files.has(safeEntryPath(target));
      } catch {
        inside = false;
      }
      if (!inside) throw new ArchiveRejectedError(`archive entry ${JSON.stringify(e.raw)} is a hard link to ${JSON.stringify(target)}, which is not a file of the archive`, e.raw);
    }
  }
}

/** Whether a path (as components from the root) stays inside the root, following the archive's symlinks. */
function resolvesInside(symlinks: Map<string, string>, components: string[]): boolean {
  const todo = [...components];
  const current: string[] = [];
  let hops = 0;
  while (todo.length > 0) {
    const c = todo.shift() as string;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (current.length === 0) return false;
      current.pop();
      continue;
    }
    current.push(c);
    const target = symlinks.get(current.join('/'));
    if (target === undefined) continue;
    if (++hops > maxLinkHops || isAbsolute(target)) return false;
    current.pop();
    todo.unshift(...target.split('/'));
  }
  return true;
}

/**
 * Streams `file` into a tar parser or unpacker built by `make`, resolving when it is done.
 * `make` gets a `fail` callback that stops the stream with an error; the signal does the same.
 */
async function runTarStream(file: string, make: (fail: (err: unknown) => void) => Parser, signal: AbortSignal | undefined): Promise<void> {
  signal?.throwIfAborted();
  const input = createReadStream(file);
  await new Promise<void>((resolvePromise, reject) => {
    let settled = false;
    const finish = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (err === undefined) {
        resolvePromise();
        return;
      }
      input.destroy();
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    const onAbort = (): void => finish(signal?.reason);
    const sink = make((err) => finish(err));
    signal?.addEventListener('abort', onAbort, { once: true });
    input.on('error', (err) => finish(err));
    sink.on('error', (err: unknown) => finish(err));
    // A Parser ends with 'end'; an Unpack with 'close' once every file is written.
    sink.on(sink instanceof Unpack ? 'close' : 'end', () => finish());
    input.pipe(sink);
  });
}

/**
 * Computes the digest of `file` with `algorithm` (sha256, sha384 or sha512), as
 * `<algorithm>:<hex>`.
 */
export async function digestFile(file: string, algorithm = 'sha256', signal?: AbortSignal): Promise<string> {
  if (!supportedDigestAlgorithms.has(algorithm)) throw new Error(`unsupported digest algorithm "${algorithm}": expected one of ${[...supportedDigestAlgorithms].join(', ')}`);
  const hash = createHash(algorithm);
  await pipeline(createReadStream(file), hash, { signal });
  return `${algorithm}:${hash.digest('hex')}`;
}

/** Digest algorithms {@link verifyDigest} computes. */
export const supportedDigestAlgorithms: ReadonlySet<string> = new Set(['sha256', 'sha384', 'sha512']);

/**
 * Checks that `file` has `digest` (`<algorithm>:<hex>`), computing the named algorithm over a
 * stream of the file; throws a {@link DigestMismatchError} naming both digests when it differs.
 */
export async function verifyDigest(file: string, digest: string, signal?: AbortSignal): Promise<void> {
  const { algorithm, encoded } = parseDigest(digest);
  const actual = await digestFile(file, algorithm, signal);
  if (actual !== `${algorithm}:${encoded.toLowerCase()}`) throw new DigestMismatchError(file, digest, actual);
}

/** Whether `path` is `root` or below it (both absolute and normalised). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function toPosix(p: string): string {
  return sep === '/' ? p : p.split(sep).join('/');
}
