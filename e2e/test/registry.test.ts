// The OCI registries: one open, one behind basic auth. An artifact pushed through the
// distribution HTTP API comes back byte-identical.
import { randomBytes } from 'node:crypto';
import { getBlob, getManifest, pushArtifact, sha256Digest, testEnv, uniqueName } from '@eddy/testkit';
import { describe, expect, it } from 'vitest';

const layerMediaType = 'application/vnd.cncf.flux.content.v1.tar+gzip';
const fluxConfigMediaType = 'application/vnd.cncf.flux.config.v1+json';

describe('OCI registry', () => {
  it('returns a pushed artifact byte-identical (no auth)', async () => {
    const reg = { host: testEnv().registry.plain.host };
    const repo = `eddy/${uniqueName('manifests')}`;
    const data = randomBytes(256 * 1024);
    const pushed = await pushArtifact(reg, repo, 'v1.0.0', { data, mediaType: layerMediaType }, fluxConfigMediaType);

    const manifest = await getManifest(reg, repo, 'v1.0.0');
    expect(manifest.digest).toBe(pushed.manifestDigest);
    const parsed = JSON.parse(manifest.body.toString()) as { config: { mediaType: string }; layers: { digest: string; mediaType: string }[] };
    expect(parsed.config.mediaType).toBe(fluxConfigMediaType);
    expect(parsed.layers).toEqual([{ mediaType: layerMediaType, digest: pushed.layerDigest, size: data.length }]);
    const blob = await getBlob(reg, repo, pushed.layerDigest);
    expect(blob.equals(data)).toBe(true);
    expect(sha256Digest(blob)).toBe(pushed.layerDigest);
  });

  it('requires the right credentials on the auth registry', async () => {
    const env = testEnv();
    const repo = `eddy/${uniqueName('private')}`;
    const data = randomBytes(1024);
    const good = { host: env.registry.auth.host, username: env.registry.auth.username, password: env.registry.auth.password };

    await expect(pushArtifact({ host: good.host }, repo, 'v1', { data, mediaType: layerMediaType })).rejects.toThrow(/HTTP 401/);
    await expect(pushArtifact({ ...good, password: 'wrong' }, repo, 'v1', { data, mediaType: layerMediaType })).rejects.toThrow(/HTTP 401/);

    const pushed = await pushArtifact(good, repo, 'v1', { data, mediaType: layerMediaType });
    expect((await getBlob(good, repo, pushed.layerDigest)).equals(data)).toBe(true);
    await expect(getManifest({ host: good.host }, repo, 'v1')).rejects.toThrow(/HTTP 401/);
  });
});
