/**
 * Fetching a Kustomization's source artifact: read the source's `status.artifact`, download it
 * over HTTP into a temporary folder (bounded), verify its digest before use, and extract it
 * safely (@eddy/runtime's verifyDigest and extractArchive, the checks source-controller uses);
 * the folder is removed when the caller is done.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Reason, type Artifact, type Kustomization } from '@eddy/api';
import { DigestMismatchError, ReconcileError, WaitingError, checkCrossNamespaceRef, extractArchive, redactUrls, verifyDigest, withDeadline } from '@eddy/runtime';

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
 * with it, and removes the downloaded and extracted files afterwards (whatever `use` does).
 * Throws a WaitingError (ArtifactFailed) while the source has no artifact, a StallingError for
 * a blocked cross-namespace reference, and a ReconcileError (ArtifactFailed) on a failed
 * download, a digest mismatch or an unsafe archive.
 */
export async function withArtifact<T>(obj: Kustomization, opts: FetchArtifactOptions, use: (fetched: FetchedArtifact) => Promise<T>): Promise<T> {
  const artifact = sourceArtifact(obj, opts);
  const dir = await mkdtemp(join(tmpdir(), 'eddy-kustomization-'));
  try {
    const file = join(dir, 'artifact.tar.gz');
    await download(artifact, file, opts);
    await verifyDigest(file, artifact.digest, opts.signal).catch((err: unknown) => {
      // The digest mismatch keeps Flux's wording; anything else is a digest we cannot check.
      if (err instanceof DigestMismatchError) throw new ReconcileError(Reason.ArtifactFailed, `failed to verify artifact: ${err.message}`);
      throw new ReconcileError(Reason.ArtifactFailed, `failed to verify artifact of revision '${artifact.revision}': ${errorText(err)}`);
    });
    const root = join(dir, 'source');
    await extractArchive(file, root, { maxSize: opts.maxBytes, signal: opts.signal }).catch((err: unknown) => {
      throw new ReconcileError(Reason.ArtifactFailed, `failed to extract artifact of revision '${artifact.revision}': ${errorText(err)}`);
    });
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

/** Downloads the artifact into `file`, refusing bodies over `maxBytes`. */
async function download(artifact: Artifact, file: string, opts: FetchArtifactOptions): Promise<void> {
  const url = redactUrls(artifact.url);
  const failed = (why: string): ReconcileError => new ReconcileError(Reason.ArtifactFailed, `failed to download artifact from ${url}: ${why}`);
  const tooLarge = new ReconcileError(Reason.ArtifactFailed, `artifact from ${url} is larger than the ${opts.maxBytes} bytes allowed (--max-artifact-size)`);
  let size = 0;
  const bound = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      callback(size > opts.maxBytes ? tooLarge : null, chunk);
    },
  });
  await withDeadline(opts.timeoutMs, opts.signal, async (signal) => {
    let res: Response;
    try {
      res = await fetch(artifact.url, { signal });
    } catch (err) {
      throw failed(redactUrls(errorText(err)));
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      throw failed(`HTTP ${res.status}`);
    }
    try {
      await pipeline(res.body, bound, createWriteStream(file, { flags: 'wx' }), { signal });
    } catch (err) {
      if (err === tooLarge) throw tooLarge;
      throw failed(redactUrls(errorText(err)));
    }
  });
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
