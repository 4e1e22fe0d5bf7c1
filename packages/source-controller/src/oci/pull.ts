/**
 * The two registry steps of an OCIRepository reconcile: {@link resolve} turns `spec.ref` into
 * the manifest digest and Flux's revision (`<tag>@sha256:<hex>`, or `sha256:<hex>` for a
 * digest ref), and {@link pull} fetches that manifest, picks the layer (`spec.layerSelector`),
 * downloads it to a temporary file within a size limit, verifies its digest, and then extracts
 * it or copies it verbatim.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Reason, formatRevision, parseDigest, type OCILayerSelector, type OCIRepositoryRef } from '@eddy/api';
import { ReconcileError, redactUrls } from '@eddy/runtime';
import { dockerManifestListMediaType, ociIndexMediaType, type CallOptions, type FetchedManifest, type RegistryClient } from './client.ts';
import { manifestDigestPattern, refTarget, selectSemverTag } from './reference.ts';

/** What `spec.ref` resolved to. */
export interface ResolvedRef {
  /** The tag pulled; absent for a digest ref. */
  tag?: string;
  /** The manifest digest, `sha256:<hex>`. */
  digest: string;
  /** Flux's revision: `<tag>@sha256:<hex>`, or `sha256:<hex>` for a digest ref. */
  revision: string;
}

/**
 * Resolves `spec.ref` against the registry with Flux's precedence: a digest is used as is
 * (after checking the registry has it), a semver range picks the highest matching tag of the
 * repository (after `semverFilter`), else the tag, else `latest`. Throws
 * StallingError(OCIArtifactPullFailed) for a malformed ref, ReconcileError(OCIArtifactPullFailed)
 * when no tag matches or the registry fails, ReconcileError(AuthenticationFailed) when refused.
 */
export async function resolve(client: RegistryClient, ref: OCIRepositoryRef | undefined, options: CallOptions = {}): Promise<ResolvedRef> {
  const target = refTarget(ref);
  if (target.kind === 'digest') {
    const { digest } = await client.headManifest(target.digest, options);
    return { digest, revision: digest };
  }
  let tag: string;
  if (target.kind === 'semver') {
    const tags = await client.listTags(options);
    const found = selectSemverTag(tags, target.range, target.filter);
    if (found === undefined) {
      const filter = target.filter ? ` and filter '${target.filter.source}'` : '';
      throw new ReconcileError(Reason.OCIArtifactPullFailed, redactUrls(`no tag of '${client.repository.name}' matches semver '${ref?.semver ?? ''}'${filter}`));
    }
    tag = found;
  } else {
    tag = target.tag;
  }
  const { digest } = await client.headManifest(tag, options);
  return { tag, digest, revision: formatRevision({ name: tag, digest: parseDigest(digest) }) };
}

/** An OCI content descriptor, as a manifest lists its config and layers. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/**
 * Unpacks a tar.gz archive into a directory within bounds, e.g. @eddy/runtime's
 * `extractArchive(file, dest, { maxSize, signal })`; throwing refuses the layer.
 */
export type ArchiveExtractor = (file: string, dest: string, options: { maxSize: number; signal?: AbortSignal }) => Promise<unknown>;

/** Options of {@link pull}. */
export interface PullOptions {
  /** Most bytes the layer may have, and its content once extracted. */
  maxSize: number;
  /** Unpacks the layer for `extract`. */
  extract: ArchiveExtractor;
  signal?: AbortSignal;
  /** Where the temporary download goes (default the OS temp dir); removed before returning. */
  tmpDir?: string;
}

/** What {@link pull} fetched. */
export interface PulledArtifact {
  /** The manifest digest pulled. */
  digest: string;
  /** The layer used. */
  layer: Descriptor;
  /** The manifest's annotations (e.g. `org.opencontainers.image.source`, `.revision`, `.created`): the artifact's metadata. */
  metadata: Record<string, string>;
}

function pullFailed(client: RegistryClient, digest: string, message: string): ReconcileError {
  return new ReconcileError(Reason.OCIArtifactPullFailed, redactUrls(`failed to pull '${client.repository.name}@${digest}': ${message}`));
}

function layerFailed(client: RegistryClient, digest: string, message: string, cause?: unknown): ReconcileError {
  return new ReconcileError(
    Reason.OCIArtifactLayerOperationFailed,
    redactUrls(`layer ${digest} of '${client.repository.name}': ${message}`),
    cause === undefined ? undefined : { cause },
  );
}

function isDescriptor(x: unknown): x is Descriptor {
  const d = x as Partial<Descriptor> | null;
  return typeof d?.mediaType === 'string' && typeof d.digest === 'string' && Number.isSafeInteger(d.size) && (d.size ?? -1) >= 0;
}

/** The string-valued annotations of a manifest or descriptor. */
function stringMap(x: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof x !== 'object' || x === null) return out;
  for (const [k, v] of Object.entries(x)) if (typeof v === 'string') out[k] = v;
  return out;
}

/**
 * The layer of a manifest to use, and the manifest's annotations: the first layer of
 * `mediaType`, or the first layer. Refuses an index, a manifest without layers, and a
 * `mediaType` no layer has.
 */
function selectLayer(client: RegistryClient, manifest: FetchedManifest, mediaType: string | undefined): { layer: Descriptor; annotations: Record<string, string> } {
  const { digest } = manifest;
  const parsed = JSON.parse(manifest.body.toString('utf8')) as { layers?: unknown; annotations?: unknown; manifests?: unknown };
  if (manifest.mediaType === ociIndexMediaType || manifest.mediaType === dockerManifestListMediaType || Array.isArray(parsed.manifests)) {
    throw pullFailed(client, digest, `the manifest is an index (${manifest.mediaType}); multi-platform images are not supported, point spec.ref at a single manifest`);
  }
  if (!Array.isArray(parsed.layers) || !parsed.layers.every(isDescriptor)) throw pullFailed(client, digest, 'the manifest has no valid layers list');
  const layers = parsed.layers as Descriptor[];
  if (layers.length === 0) throw pullFailed(client, digest, 'the artifact has no layers');
  const layer = mediaType ? layers.find((l) => l.mediaType === mediaType) : layers[0];
  if (!layer) {
    const has = layers.slice(0, 10).map((l) => l.mediaType).join(', ') + (layers.length > 10 ? ', …' : '');
    throw new ReconcileError(
      Reason.OCIArtifactLayerOperationFailed,
      redactUrls(`failed to find a layer of media type '${mediaType}' in '${client.repository.name}@${digest}' (it has ${has})`),
    );
  }
  const used: Descriptor = { mediaType: layer.mediaType, digest: layer.digest, size: layer.size };
  if (layer.annotations !== undefined) used.annotations = stringMap(layer.annotations);
  return { layer: used, annotations: stringMap(parsed.annotations) };
}

/**
 * Pulls the artifact of manifest `digest` (see the module comment): the first layer whose
 * media type is `layerSelector.mediaType` (the first layer when unset) is downloaded, refused
 * when larger than `maxSize` or when its sha256 differs from the descriptor's digest, then, as
 * `layerSelector.operation` says, extracted into the directory `dest` with `options.extract`
 * (`extract`, the default) or copied verbatim to the file `dest` (`copy`). An index
 * (multi-platform image) is refused. Throws ReconcileError with reason OCIArtifactPullFailed
 * (manifest), OCIArtifactLayerOperationFailed (layer) or AuthenticationFailed; an abort
 * rethrows the signal's reason. The temporary download is removed in every case.
 */
export async function pull(
  client: RegistryClient,
  digest: string,
  layerSelector: OCILayerSelector | undefined,
  dest: string,
  options: PullOptions,
): Promise<PulledArtifact> {
  const { signal } = options;
  if (!manifestDigestPattern.test(digest)) throw pullFailed(client, digest, 'not a sha256 or sha512 digest');
  const manifest = await client.getManifest(digest, { ...(signal ? { signal } : {}) });
  const { layer, annotations } = selectLayer(client, manifest, layerSelector?.mediaType);
  const tmp = await mkdtemp(join(options.tmpDir ?? tmpdir(), 'eddy-oci-'));
  try {
    const file = join(tmp, 'layer');
    await downloadVerified(client, layer, file, options.maxSize, signal);
    if (layerSelector?.operation === 'copy') {
      await copyFile(file, dest).catch((err: unknown) => {
        throw layerFailed(client, layer.digest, `copy failed: ${(err as Error).message}`, err);
      });
    } else {
      await options.extract(file, dest, { maxSize: options.maxSize, ...(signal ? { signal } : {}) }).catch((err: unknown) => {
        signal?.throwIfAborted();
        throw layerFailed(client, layer.digest, `extraction failed: ${(err as Error).message}`, err);
      });
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return { digest: manifest.digest, layer, metadata: annotations };
}

/**
 * Downloads a layer blob to `file`, hashing as it streams; refuses a descriptor larger than
 * `maxSize`, a body longer than the descriptor says, and content whose digest or size differs.
 */
async function downloadVerified(client: RegistryClient, layer: Descriptor, file: string, maxSize: number, signal?: AbortSignal): Promise<void> {
  let algorithm: string;
  try {
    algorithm = parseDigest(layer.digest).algorithm;
  } catch {
    throw layerFailed(client, layer.digest, 'the descriptor digest is malformed');
  }
  if (algorithm !== 'sha256' && algorithm !== 'sha512') throw layerFailed(client, layer.digest, `unsupported digest algorithm '${algorithm}'`);
  if (layer.size > maxSize) throw layerFailed(client, layer.digest, `size ${layer.size} bytes exceeds the limit of ${maxSize} bytes`);
  const res = await client.getBlob(layer.digest, { ...(signal ? { signal } : {}) });
  if (!res.body) throw layerFailed(client, layer.digest, 'the registry sent no content');
  const hash = createHash(algorithm);
  let size = 0;
  const limit = Math.min(layer.size, maxSize);
  const meter = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
      size += chunk.length;
      if (size > limit) {
        done(layerFailed(client, layer.digest, `the content is larger than the ${limit} bytes the descriptor states`));
        return;
      }
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(res.body, meter, createWriteStream(file, { mode: 0o600 }), ...(signal ? [{ signal }] : []));
  } catch (err) {
    signal?.throwIfAborted();
    if (err instanceof ReconcileError) throw err;
    throw layerFailed(client, layer.digest, `download failed: ${(err as Error).message}`, err);
  }
  const actual = `${algorithm}:${hash.digest('hex')}`;
  if (actual !== layer.digest) throw layerFailed(client, layer.digest, `digest mismatch: the content's digest is ${actual}, the descriptor states ${layer.digest}`);
  if (size !== layer.size) throw layerFailed(client, layer.digest, `size mismatch: the content has ${size} bytes, the descriptor states ${layer.size}`);
}
