/**
 * Fetching a Kustomization's source artifact: read the source's `status.artifact`, download it
 * over HTTP (bounded), verify its sha256 digest before use, and extract it safely into a
 * temporary folder that is removed when the caller is done.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, normalize, posix } from 'node:path';
import { x as extractTar } from 'tar';
import { Reason, type Artifact, type Kustomization } from '@eddy/api';
import { ReconcileError, WaitingError, checkCrossNamespaceRef, redactUrls } from '@eddy/runtime';

/** Finds a source by kind, namespace and name (the controller's informer caches); undefined when absent. */
export type SourceLookup = (kind: string, namespace: string, name: string) => { status?: { artifact?: Artifact } } | undefined;

/** Options of {@link withArtifact}. */
export interface FetchArtifactOptions {
  /** Finds the source (sources are read as the controller, from its cache). */
  lookupSource: SourceLookup;
  /** `--no-cross-namespace-refs`. */
  noCrossNamespaceRefs: boolean;
  /** `--requeue-dependency`: how soon to look again when the source has no artifact. */
  requeueDependencyMs: number;
  /** Largest artifact downloaded, and largest total extracted, in bytes. */
  maxBytes: number;
  /** Bound of the download in milliseconds. */
  timeoutMs: number;
  signal: AbortSignal;
}

/** The source's artifact and where it was extracted. */
export interface FetchedArtifact {
  artifact: Artifact;
  /** Folder holding the extracted artifact (removed after the callback returns). */
  dir: string;
}

/**
 * Reads the Kustomization's source artifact, downloads, verifies and extracts it, calls `use`
 * with it, and removes the extracted files afterwards (whatever `use` does). Throws a
 * WaitingError (ArtifactFailed) while the source has no artifact, a StallingError for a
 * blocked cross-namespace reference, and a ReconcileError (ArtifactFailed) on a failed
 * download, a digest mismatch or an unsafe archive.
 */
export async function withArtifact<T>(obj: Kustomization, opts: FetchArtifactOptions, use: (fetched: FetchedArtifact) => Promise<T>): Promise<T> {
  const artifact = sourceArtifact(obj, opts);
  const dir = await mkdtemp(join(tmpdir(), 'eddy-kustomization-'));
  try {
    const body = await download(artifact, opts);
    verifyDigest(artifact, body);
    const root = join(dir, 'source');
    await extract(body, dir, root, opts.maxBytes);
    return await use({ artifact, dir: root });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The source's `status.artifact`; WaitingError while there is none. */
export function sourceArtifact(obj: Kustomization, opts: Pick<FetchArtifactOptions, 'lookupSource' | 'noCrossNamespaceRefs' | 'requeueDependencyMs'>): Artifact {
  const ref = obj.spec.sourceRef;
  const ownNamespace = obj.metadata.namespace ?? '';
  checkCrossNamespaceRef(ownNamespace, ref, opts.noCrossNamespaceRefs);
  const namespace = ref.namespace || ownNamespace;
  const source = opts.lookupSource(ref.kind, namespace, ref.name);
  const what = `${ref.kind}/${namespace}/${ref.name}`;
  if (!source) throw new WaitingError(Reason.ArtifactFailed, `Source '${what}' not found`, opts.requeueDependencyMs);
  if (!source.status?.artifact) throw new WaitingError(Reason.ArtifactFailed, `Source '${what}' is not ready, artifact not found`, opts.requeueDependencyMs);
  return source.status.artifact;
}

/** Downloads the artifact, refusing bodies over `maxBytes`. */
async function download(artifact: Artifact, opts: FetchArtifactOptions): Promise<Buffer> {
  const url = redactUrls(artifact.url);
  let res: Response;
  try {
    res = await fetch(artifact.url, { signal: AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]) });
  } catch (err) {
    throw new ReconcileError(Reason.ArtifactFailed, `failed to download artifact from ${url}: ${redactUrls(err instanceof Error ? err.message : String(err))}`);
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    throw new ReconcileError(Reason.ArtifactFailed, `failed to download artifact from ${url}: HTTP ${res.status}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.byteLength;
    if (size > opts.maxBytes) {
      await res.body.cancel().catch(() => undefined);
      throw new ReconcileError(Reason.ArtifactFailed, `artifact from ${url} is larger than the ${opts.maxBytes} bytes allowed`);
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** Throws a ReconcileError naming both digests unless the body's sha256 is the artifact's digest. */
export function verifyDigest(artifact: Pick<Artifact, 'digest' | 'url'>, body: Buffer): void {
  const [algorithm] = artifact.digest.split(':');
  if (algorithm !== 'sha256') throw new ReconcileError(Reason.ArtifactFailed, `unsupported artifact digest algorithm '${algorithm ?? ''}' in '${artifact.digest}'`);
  const actual = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  if (actual !== artifact.digest) {
    throw new ReconcileError(Reason.ArtifactFailed, `failed to verify artifact: computed digest ${actual} doesn't match advertised '${artifact.digest}'`);
  }
}

/**
 * Whether an archive entry stays inside the extraction folder: no absolute path, no `..`
 * leaving it, and links whose target resolves inside it.
 */
export function isSafeEntry(path: string, type: string, linkpath: string | undefined): boolean {
  if (isAbsolute(path) || escapes(path)) return false;
  if (type === 'SymbolicLink' || type === 'Link') {
    if (!linkpath || isAbsolute(linkpath)) return false;
    const target = type === 'Link' ? linkpath : posix.join(posix.dirname(path), linkpath);
    if (escapes(target)) return false;
  }
  return true;
}

function escapes(path: string): boolean {
  const n = normalize(path).replaceAll('\\', '/');
  return n === '..' || n.startsWith('../');
}

/** Extracts the tar.gz into `root`, refusing unsafe entries and more than `maxBytes` in total. */
async function extract(body: Buffer, dir: string, root: string, maxBytes: number): Promise<void> {
  const file = join(dir, 'artifact.tar.gz');
  await writeFile(file, body);
  await mkdir(root);
  let total = 0;
  let refused: string | undefined;
  try {
    await extractTar({
      file,
      cwd: root,
      strict: true,
      filter: (path, entry) => {
        const type = 'type' in entry ? entry.type : 'File';
        const linkpath = 'linkpath' in entry ? entry.linkpath : undefined;
        if (!isSafeEntry(path, type, linkpath)) {
          refused ??= `unsafe path '${path}' in artifact`;
          return false;
        }
        total += entry.size ?? 0;
        if (total > maxBytes) {
          refused ??= `artifact extracts to more than the ${maxBytes} bytes allowed`;
          return false;
        }
        return true;
      },
    });
  } catch (err) {
    throw new ReconcileError(Reason.ArtifactFailed, `failed to extract artifact: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await rm(file, { force: true });
  }
  if (refused) throw new ReconcileError(Reason.ArtifactFailed, `failed to extract artifact: ${refused}`);
}
