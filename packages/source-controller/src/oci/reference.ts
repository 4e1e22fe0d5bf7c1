/**
 * OCIRepository addresses and references: parsing `spec.url` (`oci://host[:port]/repo/path`)
 * and choosing what `spec.ref` points at with Flux's precedence (digest > semver > tag > the
 * `latest` tag), including the semantic-version pick over a repository's tags. Pure logic, no I/O.
 */
import { Reason, type OCIRepositoryRef } from '@eddy/api';
import { StallingError, redactUrls } from '@eddy/runtime';
import { Range, parse, validRange, type SemVer } from 'semver';

/** The scheme every `spec.url` of an OCIRepository starts with. */
export const ociScheme = 'oci://';

/** The tag pulled when `spec.ref` names nothing, as in Flux. */
export const defaultTag = 'latest';

/** The registry Docker names without a host (`oci://org/repo`) live on, as go-containerregistry names it. */
export const dockerHubRegistry = 'index.docker.io';

/** A parsed `spec.url`: the registry to talk to and the repository in it. */
export interface RepositoryURL {
  /** `host[:port]` of the registry, e.g. `ghcr.io` or `127.0.0.1:5000`. */
  registry: string;
  /** The repository path inside the registry, e.g. `stefanprodan/manifests/podinfo`. */
  repository: string;
  /** `<registry>/<repository>`: how messages name the repository. */
  name: string;
}

// The distribution spec's grammar: a path component is lowercase alphanumerics joined by
// `.`, `_`, `__` or runs of `-`; a host is a DNS name or IPv4 address or bracketed IPv6, with an optional port.
const pathComponent = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const hostPattern = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?$/;
const maxRepositoryLength = 255;

/** A StallingError(URLInvalid) that names the (redacted) URL. */
function invalidURL(url: string, why: string): StallingError {
  return new StallingError(Reason.URLInvalid, redactUrls(`URL validation failed for '${url}': ${why}`));
}

/**
 * Parses an OCIRepository `spec.url`. Like Flux, the URL names a repository only: a tag or
 * digest in it is refused (they belong in `spec.ref`), and a first path component that does
 * not look like a host (no `.` or `:`, not `localhost`) means Docker Hub. Throws a
 * StallingError with reason URLInvalid naming the URL when it is malformed.
 */
export function parseRepositoryURL(url: string): RepositoryURL {
  if (!url.startsWith(ociScheme)) throw invalidURL(url, `URL must be in format '${ociScheme}<domain>/<org>/<repo>'`);
  const rest = url.slice(ociScheme.length);
  if (/[?#\s]/.test(rest)) throw invalidURL(url, 'URL must not contain a query, a fragment or spaces');
  if (rest.includes('@')) {
    throw invalidURL(url, 'URL must not contain credentials or a digest; use spec.secretRef and spec.ref.digest');
  }
  const parts = rest.split('/');
  let registry = parts[0] ?? '';
  let path = parts.slice(1);
  const looksLikeHost = registry.includes('.') || registry.includes(':') || registry === 'localhost';
  if (!looksLikeHost) {
    registry = dockerHubRegistry;
    path = parts;
    // Docker Hub's official images live under library/.
    if (path.length === 1) path = ['library', ...path];
  }
  if (!hostPattern.test(registry)) throw invalidURL(url, `invalid registry host '${registry}'`);
  const port = /:([0-9]+)$/.exec(registry)?.[1];
  if (port !== undefined && Number(port) > 65535) throw invalidURL(url, `invalid registry port ${port}`);
  const last = path[path.length - 1] ?? '';
  if (last.includes(':')) throw invalidURL(url, `URL must not contain a tag; remove ':${last.slice(last.indexOf(':') + 1)}'`);
  if (path.length === 0 || path.some((c) => !pathComponent.test(c))) {
    throw invalidURL(url, 'the repository path must be lowercase alphanumeric components separated by /, e.g. oci://ghcr.io/org/repo');
  }
  const repository = path.join('/');
  if (repository.length > maxRepositoryLength) throw invalidURL(url, `the repository name is longer than ${maxRepositoryLength} characters`);
  return { registry: registry.toLowerCase(), repository, name: `${registry.toLowerCase()}/${repository}` };
}

/** What a `spec.ref` selects, after Flux's precedence: one exact digest, a semver range over the tags, or one tag. */
export type RefTarget =
  | { kind: 'digest'; digest: string }
  | { kind: 'semver'; range: string; filter?: RegExp }
  | { kind: 'tag'; tag: string };

/** The manifest digests Eddy accepts from a spec or a registry: sha256 or sha512, lowercase hex. */
export const manifestDigestPattern = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const tagRef = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

/**
 * The target of a `spec.ref`: `digest` wins over `semver`, `semver` over `tag`, and the
 * `latest` tag is used when none is set; `semverFilter` only applies with `semver`. Throws a
 * StallingError (OCIArtifactPullFailed) for a malformed digest, tag, range or filter, since
 * no retry can fix those.
 */
export function refTarget(ref: OCIRepositoryRef | undefined): RefTarget {
  if (ref?.digest) {
    if (!manifestDigestPattern.test(ref.digest)) {
      throw new StallingError(Reason.OCIArtifactPullFailed, `invalid digest '${ref.digest}': expected sha256:<64 hex digits>`);
    }
    return { kind: 'digest', digest: ref.digest };
  }
  if (ref?.semver) {
    const range = semverRange(ref.semver);
    if (!ref.semverFilter) return { kind: 'semver', range };
    try {
      return { kind: 'semver', range, filter: new RegExp(ref.semverFilter) };
    } catch (err) {
      throw new StallingError(Reason.OCIArtifactPullFailed, `invalid semverFilter '${ref.semverFilter}': ${(err as Error).message}`);
    }
  }
  const tag = ref?.tag || defaultTag;
  if (!tagRef.test(tag)) throw new StallingError(Reason.OCIArtifactPullFailed, `invalid tag '${tag}'`);
  return { kind: 'tag', tag };
}

/**
 * A Masterminds-style constraint (Flux's syntax) as a node-semver range: Masterminds ANDs
 * comma-separated comparators (`>= 1.2, < 3`), node-semver space-separated ones. Throws a
 * StallingError when the range does not parse.
 */
function semverRange(constraint: string): string {
  const range = constraint.replace(/,/g, ' ');
  if (validRange(range) === null) {
    throw new StallingError(Reason.OCIArtifactPullFailed, `semver '${constraint}' parse error: not a valid version range`);
  }
  return range;
}

/**
 * A tag as a version under Flux's rule (fluxcd/pkg/version.ParseVersion): strict semantic
 * versioning, with an optional leading `v`. Undefined for any other tag.
 */
export function tagVersion(tag: string): SemVer | undefined {
  const bare = tag.startsWith('v') ? tag.slice(1) : tag;
  if (!/^[0-9]/.test(bare)) return undefined;
  return parse(bare) ?? undefined;
}

/**
 * Whether a version satisfies a range as Masterminds/semver (Flux) decides: a release as
 * node-semver does; a pre-release only through an OR-group whose every comparator names a
 * pre-release itself (`>=1.0.0-0` admits `2.0.0-rc.1`; `>=1.0.0-0 <2.0.0` and `*` admit none).
 * node-semver would instead admit pre-releases of the comparators' own major.minor.patch only.
 */
function satisfiesLikeFlux(version: SemVer, range: Range): boolean {
  if (version.prerelease.length === 0) return range.test(version);
  // The ANY comparator (`*`) carries no version, hence no pre-release.
  return range.set.some((group) => group.every((c) => (c.semver.prerelease?.length ?? 0) > 0 && c.test(version)));
}

/**
 * The tag with the highest version satisfying `range` among `tags`, as Flux picks it: tags
 * not matching `filter` (when given; an unanchored match) are dropped first, then tags that
 * are not semantic versions; pre-releases only count when the range names one (see
 * {@link satisfiesLikeFlux}). Among tags of equal version (`1.0.0` and `v1.0.0`) the first
 * listed wins. Undefined when none satisfies.
 */
export function selectSemverTag(tags: readonly string[], range: string, filter?: RegExp): string | undefined {
  const parsed = new Range(range);
  let best: { tag: string; version: SemVer } | undefined;
  for (const tag of tags) {
    if (filter && !filter.test(tag)) continue;
    const version = tagVersion(tag);
    if (!version || !satisfiesLikeFlux(version, parsed)) continue;
    if (!best || version.compare(best.version) > 0) best = { tag, version };
  }
  return best?.tag;
}
