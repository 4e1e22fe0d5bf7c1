/**
 * Artifact archives as a consumer meets them: verifying a downloaded file's digest and
 * extracting a tar.gz safely. Every controller that reads an artifact (source-controller's
 * includes and OCI layers, kustomize-controller's sources) goes through these, so an archive
 * is refused for the same reasons everywhere: paths or links leaving the destination, special
 * files, too many entries or too many bytes.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { isAbsolute, posix, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseDigest } from '@eddy/api';
import { Parser, Unpack, type ReadEntry } from 'tar';

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

/**
 * A file whose content does not have the expected digest. The message names both digests in
 * the words Flux's controllers use (`computed digest … doesn't match advertised '…'`); the
 * caller adds which artifact it was, since the file is usually a temporary download.
 */
export class DigestMismatchError extends Error {
  override readonly name = 'DigestMismatchError';
  /** The file that was checked. */
  readonly file: string;
  /** The digest the file should have had, as given. */
  readonly expected: string;
  /** The digest computed over the file, with the same algorithm. */
  readonly actual: string;
  constructor(file: string, expected: string, actual: string) {
    super(`computed digest ${actual} doesn't match advertised '${expected}'`);
    this.file = file;
    this.expected = expected;
    this.actual = actual;
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
