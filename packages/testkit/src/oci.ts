/**
 * A minimal OCI distribution client over the registry's HTTP API, for pushing test fixtures
 * (artifacts, charts) and reading them back. Supports anonymous and basic auth.
 */
import { createHash } from 'node:crypto';

/** A registry endpoint: `host:port` over plain HTTP, with optional basic auth. */
export interface RegistryEndpoint {
  host: string;
  username?: string;
  password?: string;
}

/** The OCI image manifest media type. */
export const ociManifestMediaType = 'application/vnd.oci.image.manifest.v1+json';

/** `sha256:<hex>` of the bytes. */
export function sha256Digest(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function headers(reg: RegistryEndpoint, extra: Record<string, string> = {}): Record<string, string> {
  const h: Record<string, string> = { ...extra };
  if (reg.username !== undefined) {
    h['authorization'] = 'Basic ' + Buffer.from(`${reg.username}:${reg.password ?? ''}`).toString('base64');
  }
  return h;
}

async function expectOk(res: Response, what: string): Promise<Response> {
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`);
  return res;
}

/** Uploads a blob (monolithic upload) and returns its digest. */
export async function pushBlob(reg: RegistryEndpoint, repo: string, data: Uint8Array): Promise<string> {
  const digest = sha256Digest(data);
  const start = await expectOk(
    await fetch(`http://${reg.host}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: headers(reg) }),
    `start upload to ${repo}`,
  );
  const location = start.headers.get('location');
  if (!location) throw new Error(`start upload to ${repo}: no Location header`);
  const url = new URL(location, `http://${reg.host}`);
  url.searchParams.set('digest', digest);
  await expectOk(
    await fetch(url, { method: 'PUT', headers: headers(reg, { 'content-type': 'application/octet-stream' }), body: data }),
    `upload blob ${digest}`,
  );
  return digest;
}

/** Puts a manifest under a tag; returns the manifest's digest. */
export async function pushManifest(reg: RegistryEndpoint, repo: string, tag: string, manifest: object, mediaType = ociManifestMediaType): Promise<string> {
  const body = Buffer.from(JSON.stringify(manifest));
  await expectOk(
    await fetch(`http://${reg.host}/v2/${repo}/manifests/${tag}`, { method: 'PUT', headers: headers(reg, { 'content-type': mediaType }), body }),
    `put manifest ${repo}:${tag}`,
  );
  return sha256Digest(body);
}

/** Fetches a manifest by tag or digest. */
export async function getManifest(reg: RegistryEndpoint, repo: string, ref: string, mediaType = ociManifestMediaType): Promise<{ digest: string; body: Buffer }> {
  const res = await expectOk(
    await fetch(`http://${reg.host}/v2/${repo}/manifests/${ref}`, { headers: headers(reg, { accept: mediaType }) }),
    `get manifest ${repo}:${ref}`,
  );
  const body = Buffer.from(await res.arrayBuffer());
  return { digest: res.headers.get('docker-content-digest') ?? sha256Digest(body), body };
}

/** Fetches a blob by digest. */
export async function getBlob(reg: RegistryEndpoint, repo: string, digest: string): Promise<Buffer> {
  const res = await expectOk(await fetch(`http://${reg.host}/v2/${repo}/blobs/${digest}`, { headers: headers(reg) }), `get blob ${digest}`);
  return Buffer.from(await res.arrayBuffer());
}

/**
 * Pushes a single-layer OCI artifact (config `{}` of `configMediaType`) and returns the
 * manifest digest.
 */
export async function pushArtifact(
  reg: RegistryEndpoint,
  repo: string,
  tag: string,
  layer: { data: Uint8Array; mediaType: string },
  configMediaType = 'application/vnd.oci.empty.v1+json',
): Promise<{ manifestDigest: string; layerDigest: string }> {
  const config = Buffer.from('{}');
  const configDigest = await pushBlob(reg, repo, config);
  const layerDigest = await pushBlob(reg, repo, layer.data);
  const manifestDigest = await pushManifest(reg, repo, tag, {
    schemaVersion: 2,
    mediaType: ociManifestMediaType,
    config: { mediaType: configMediaType, digest: configDigest, size: config.length },
    layers: [{ mediaType: layer.mediaType, digest: layerDigest, size: layer.data.length }],
  });
  return { manifestDigest, layerDigest };
}
