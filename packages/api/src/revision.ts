/**
 * Artifact revisions and digests in Flux's formats: `<name>@<algorithm>:<hex>` (e.g.
 * `main@sha1:<40 hex>`, `v1.0.0@sha256:<64 hex>`), or a bare `<algorithm>:<hex>`.
 */

/** A digest: `<algorithm>:<encoded>`, as `status.artifact.digest` holds it. */
export interface Digest {
  algorithm: string;
  encoded: string;
}

/** The pattern Flux's CRDs enforce on `status.artifact.digest`. */
export const digestPattern = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** Parses `<algorithm>:<encoded>`; throws on anything else. */
export function parseDigest(text: string): Digest {
  if (!digestPattern.test(text)) throw new Error(`invalid digest "${text}": expected <algorithm>:<hex>, e.g. sha256:<64 hex digits>`);
  const i = text.indexOf(':');
  return { algorithm: text.slice(0, i), encoded: text.slice(i + 1) };
}

/** Formats a digest. */
export function formatDigest(d: Digest): string {
  return `${d.algorithm}:${d.encoded}`;
}

/** A revision: an optional human name (branch, tag, ref, OCI tag) and the digest it resolved to. */
export interface Revision {
  name?: string;
  digest: Digest;
}

/** Formats a revision: `main@sha1:<hex>`, or `sha1:<hex>` without a name. */
export function formatRevision(r: Revision): string {
  return r.name ? `${r.name}@${formatDigest(r.digest)}` : formatDigest(r.digest);
}

/**
 * Parses a revision. The digest follows the last `@`, so names may contain `@`-free slashes
 * (`refs/pull/1/head@sha1:<hex>`). Throws when there is no valid digest part.
 */
export function parseRevision(text: string): Revision {
  const at = text.lastIndexOf('@');
  if (at < 0) return { digest: parseDigest(text) };
  const name = text.slice(0, at);
  if (!name) throw new Error(`invalid revision "${text}": empty name before @`);
  return { name, digest: parseDigest(text.slice(at + 1)) };
}

/**
 * Whether two revisions name the same content: equal digests. Flux compares revisions this
 * way so a renamed ref pointing at the same commit is not a new revision.
 */
export function sameRevision(a: string, b: string): boolean {
  try {
    const da = parseRevision(a).digest;
    const db = parseRevision(b).digest;
    return da.algorithm === db.algorithm && da.encoded === db.encoded;
  } catch {
    return a === b;
  }
}
