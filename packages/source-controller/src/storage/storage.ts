/**
 * The artifact storage: where source-controller keeps the artifacts it serves, laid out as
 * Flux's is (`<kind lowercase>/<namespace>/<name>/<file>` under `--storage-path`), with the
 * operations a source reconciler needs: archive, copy, stable symlink, existence, removal and
 * garbage collection. Every write to an object's folder happens under that object's lock, and
 * every file appears atomically (written to a temporary file, then renamed).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, rename, rm, symlink } from 'node:fs/promises';
import { basename, dirname, join, posix, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Reason, type Artifact } from '@eddy/api';
import { ReconcileError, isInside, type Logger } from '@eddy/runtime';
import { archiveDirectory, measuringStream } from './archive.ts';
import type { IgnorePredicate } from './ignore.ts';

/** Options of {@link Storage}. */
export interface StorageOptions {
  /** The storage root, `--storage-path`. */
  root: string;
  /** The host (and port) artifacts are advertised on, `--storage-adv-addr`; a scheme, if given, is kept. */
  advertisedAddress: string;
  /** `--artifact-retention-ttl`: artifacts older than this are removed by GC (default 60 s). */
  retentionTtlMs?: number;
  /** `--artifact-retention-records`: how many artifacts per object GC keeps (default 2). */
  retentionRecords?: number;
  /** Where skipped archive entries and collected files are reported. */
  logger?: Logger;
}

/** The default of `--artifact-retention-ttl`. */
export const defaultRetentionTtlMs = 60_000;
/** The default of `--artifact-retention-records`. */
export const defaultRetentionRecords = 2;
/** The stable link name of OCIRepository (and Bucket, HelmChart) artifacts. */
export const latestLinkName = 'latest.tar.gz';

/** The marker of temporary files in an object's folder; never served, collected by GC. */
const tmpMarker = '.tmp-';

/** Whether a file name is one of the storage's temporary files (a write in progress or a leftover). */
export function isTemporaryFile(name: string): boolean {
  return name.startsWith('.') && name.includes(tmpMarker);
}

/**
 * The artifact storage of one source-controller process. Paths and URLs follow Flux; writes to
 * one object's folder are serialised by an in-process lock (one controller process owns the
 * storage, as Flux's does through its lock file).
 */
export class Storage {
  /** Absolute storage root. */
  readonly root: string;
  /** `http://<advertised address>` or the address as given when it has a scheme, without a trailing slash. */
  readonly baseUrl: string;
  /** Age after which GC removes an artifact file that is not the current one. */
  readonly retentionTtlMs: number;
  /** How many artifact files per object GC keeps, the current one included. */
  readonly retentionRecords: number;
  private readonly logger: Logger | undefined;
  private readonly locks = new Map<string, Promise<void>>();

  constructor(options: StorageOptions) {
    this.root = resolve(options.root);
    const adv = options.advertisedAddress.replace(/\/+$/, '');
    this.baseUrl = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(adv) ? adv : `http://${adv}`;
    this.retentionTtlMs = options.retentionTtlMs ?? defaultRetentionTtlMs;
    this.retentionRecords = options.retentionRecords ?? defaultRetentionRecords;
    this.logger = options.logger;
  }

  /**
   * A new artifact of an object: its storage path `<kind lowercase>/<namespace>/<name>/<fileName>`,
   * URL and revision. `digest` and `lastUpdateTime` are empty until {@link archive} or
   * {@link copy} writes the file.
   */
  artifactFor(kind: string, namespace: string, name: string, revision: string, fileName: string): Artifact {
    const path = [objectDir(kind, namespace, name), checkSegment(fileName, 'file name')].join('/');
    return { path, url: this.urlFor(path), revision, digest: '', lastUpdateTime: '' };
  }

  /** The HTTP URL of a path relative to the storage root. */
  urlFor(path: string): string {
    return `${this.baseUrl}/${path.split('/').map(encodeURIComponent).join('/')}`;
  }

  /** The absolute file of an artifact; throws when its path would leave the storage root. */
  localPath(artifact: Pick<Artifact, 'path'>): string {
    const file = resolve(this.root, posix.normalize(artifact.path));
    if (file === this.root || !isInside(this.root, file)) throw new ReconcileError(Reason.InvalidPath, `artifact path ${JSON.stringify(artifact.path)} is outside the storage`);
    return file;
  }

  /**
   * Archives `dir` as the artifact's tar.gz (see archive.ts for the format), excluding what
   * `ignore` excludes, and returns the artifact with digest, size and lastUpdateTime set.
   * Skipped symlinks and special files are logged.
   */
  async archive(artifact: Artifact, dir: string, ignore?: IgnorePredicate, signal?: AbortSignal): Promise<Artifact> {
    const file = this.localPath(artifact);
    return this.withLock(dirname(file), async () => {
      await this.makeDir(dirname(file));
      let result;
      try {
        result = await archiveDirectory(dir, file, { ignore, signal });
      } catch (err) {
        throw storageError(Reason.ArchiveOperationFailed, `failed to archive ${artifact.path}`, err, signal);
      }
      for (const s of result.skipped) this.logger?.debug('archive entry skipped', { path: s.path, reason: s.reason, artifact: artifact.path });
      return { ...artifact, digest: result.digest, size: result.size, lastUpdateTime: new Date().toISOString() };
    });
  }

  /**
   * Copies `fromFile` verbatim as the artifact (an OCI layer kept as is) and returns the
   * artifact with its sha256 digest, size and lastUpdateTime set.
   */
  async copy(artifact: Artifact, fromFile: string, signal?: AbortSignal): Promise<Artifact> {
    const file = this.localPath(artifact);
    return this.withLock(dirname(file), async () => {
      await this.makeDir(dirname(file));
      const tmp = tmpName(file);
      const measure = measuringStream();
      try {
        await pipeline(createReadStream(fromFile), measure.stream, createWriteStream(tmp, { flags: 'wx', mode: 0o644, flush: true }), { signal });
        await rename(tmp, file);
      } catch (err) {
        await rm(tmp, { force: true });
        throw storageError(Reason.ArchiveOperationFailed, `failed to copy to ${artifact.path}`, err, signal);
      }
      return { ...artifact, ...measure.result(), lastUpdateTime: new Date().toISOString() };
    });
  }

  /**
   * Points the link `linkName` (`latest.tar.gz` by default) in the artifact's folder at the
   * artifact, atomically (a new link renamed over the old), and returns the link's URL (the
   * `.status.url` of OCIRepository).
   */
  async symlinkLatest(artifact: Artifact, linkName: string = latestLinkName): Promise<string> {
    const file = this.localPath(artifact);
    const dir = dirname(file);
    const link = join(dir, checkSegment(linkName, 'link name'));
    return this.withLock(dir, async () => {
      const tmp = tmpName(link);
      try {
        await symlink(basename(file), tmp);
        await rename(tmp, link);
      } catch (err) {
        await rm(tmp, { force: true });
        throw storageError(Reason.SymlinkUpdateFailed, `failed to point ${linkName} at ${artifact.path}`, err);
      }
      return this.urlFor(posix.join(posix.dirname(artifact.path), linkName));
    });
  }

  /** Whether the artifact's file is in storage (a regular file). */
  async exists(artifact: Pick<Artifact, 'path'>): Promise<boolean> {
    try {
      return (await lstat(this.localPath(artifact))).isFile();
    } catch (err) {
      if (isNotFound(err)) return false;
      throw storageError(Reason.StatOperationFailed, `failed to stat ${artifact.path}`, err);
    }
  }

  /** Removes every file of an object (when the object is deleted); a missing folder is fine. */
  async remove(kind: string, namespace: string, name: string): Promise<void> {
    const dir = join(this.root, objectDir(kind, namespace, name));
    await this.withLock(dir, async () => {
      try {
        await rm(dir, { recursive: true, force: true });
      } catch (err) {
        throw storageError(Reason.ArchiveOperationFailed, `failed to remove the artifacts of ${kind} ${namespace}/${name}`, err);
      }
    });
  }

  /**
   * Garbage-collects an object's folder, as Flux does: removes the artifact files whose mtime
   * is older than the retention TTL, and the oldest ones beyond the retention record count
   * (the count includes `keep`), leftover temporary files, but never `keep` (the current
   * artifact) nor symlinks. Returns the removed paths, relative to the storage root.
   */
  async garbageCollect(kind: string, namespace: string, name: string, keep: Pick<Artifact, 'path'>, now: Date = new Date()): Promise<string[]> {
    const rel = objectDir(kind, namespace, name);
    const dir = join(this.root, rel);
    const keepFile = this.localPath(keep);
    return this.withLock(dir, async () => {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (err) {
        if (isNotFound(err)) return [];
        throw storageError(Reason.ReadOperationFailed, `failed to list ${rel}`, err);
      }
      const files: { name: string; mtimeMs: number }[] = [];
      const garbage = new Set<string>();
      let keepPresent = false;
      for (const n of names) {
        const st = await lstat(join(dir, n));
        if (!st.isFile()) continue;
        // No write of this object is running (we hold its lock): a temporary file is a leftover.
        if (isTemporaryFile(n)) garbage.add(n);
        else if (join(dir, n) === keepFile) keepPresent = true;
        else files.push({ name: n, mtimeMs: st.mtimeMs });
      }
      const total = files.length + (keepPresent ? 1 : 0);
      // Oldest first; the name breaks ties so the choice is deterministic.
      files.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : 1));
      let excess = total - this.retentionRecords;
      for (const f of files) {
        if (excess > 0) {
          garbage.add(f.name);
          excess--;
        } else if (this.retentionTtlMs > 0 && f.mtimeMs + this.retentionTtlMs < now.getTime()) {
          garbage.add(f.name);
        }
      }
      const removed: string[] = [];
      for (const n of [...garbage].sort()) {
        try {
          await rm(join(dir, n), { force: true });
        } catch (err) {
          throw storageError(Reason.ArchiveOperationFailed, `failed to garbage-collect ${rel}/${n}`, err);
        }
        removed.push(`${rel}/${n}`);
      }
      if (removed.length > 0) this.logger?.debug('garbage collected artifacts', { removed });
      return removed;
    });
  }

  /** Runs `fn` once every earlier holder of the lock on `key` (an object's folder) is done. */
  private async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((r) => {
      release = r;
    });
    const tail = previous.then(() => current);
    this.locks.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      // The last holder removes the entry, so the map holds only objects being written.
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }

  private async makeDir(dir: string): Promise<void> {
    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      throw storageError(Reason.DirectoryCreationFailed, `failed to create ${dir.slice(this.root.length + 1)}`, err);
    }
  }
}

/** `<kind lowercase>/<namespace>/<name>`, each segment checked. */
function objectDir(kind: string, namespace: string, name: string): string {
  return [checkSegment(kind.toLowerCase(), 'kind'), checkSegment(namespace, 'namespace'), checkSegment(name, 'name')].join('/');
}

/** A path segment; refuses anything that could leave its folder. */
function checkSegment(segment: string, what: string): string {
  if (segment === '' || segment === '.' || segment === '..' || /[/\\\0]/.test(segment)) {
    throw new ReconcileError(Reason.InvalidPath, `invalid ${what} ${JSON.stringify(segment)} for a storage path`);
  }
  return segment;
}

function tmpName(file: string): string {
  return join(dirname(file), `.${basename(file)}${tmpMarker}${randomBytes(6).toString('hex')}`);
}

function isNotFound(err: unknown): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/** A storage failure with its Flux reason; an abort is passed through as the abort it is. */
function storageError(reason: string, message: string, err: unknown, signal?: AbortSignal): unknown {
  if (signal?.aborted) return signal.reason;
  if (err instanceof ReconcileError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new ReconcileError(reason, `${message}: ${detail}`, { cause: err });
}
