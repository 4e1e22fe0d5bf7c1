/**
 * Git references as Flux reads `spec.ref`: which one wins, whether a name is valid, what the
 * remote advertises for it, which tag a semver range picks, and the revision string an
 * artifact carries. Pure functions; the git commands are in checkout.ts.
 */
import { Reason, formatRevision, type GitRepositoryRef } from '@eddy/api';
import { ReconcileError } from '@eddy/runtime';
import semver from 'semver';

/** The branch checked out when `spec.ref` names nothing, as Flux's v1 API. */
export const defaultBranch = 'master';

/**
 * The one reference a `spec.ref` selects, by Flux's precedence: commit > name > semver > tag >
 * branch (empty strings count as unset). A commit keeps the branch it must be on, if given.
 */
export type SelectedRef =
  | { kind: 'commit'; commit: string; branch?: string }
  | { kind: 'name'; name: string }
  | { kind: 'semver'; range: string }
  | { kind: 'tag'; tag: string }
  | { kind: 'branch'; branch: string };

function invalidRef(what: string, value: string, why: string): ReconcileError {
  return new ReconcileError(Reason.GitOperationFailed, `invalid ${what} '${value}': ${why}`);
}

/**
 * Why `name` is not a valid reference name (git check-ref-format rules, plus no leading `-`
 * so a name can never be read as an option), or undefined when it is valid.
 */
export function refNameProblem(name: string): string | undefined {
  if (!name) return 'empty';
  if (name.length > 1024) return 'longer than 1024 characters';
  if (name.startsWith('-')) return 'starts with -';
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return 'contains a space, a control character or one of ~ ^ : ? * [ \\';
  if (name.includes('..')) return 'contains ..';
  if (name.includes('@{')) return 'contains @{';
  if (name === '@') return 'is @';
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) return 'has an empty path component';
  if (name.endsWith('.')) return 'ends with .';
  for (const part of name.split('/')) {
    if (part.startsWith('.')) return `component '${part}' starts with .`;
    if (part.endsWith('.lock')) return `component '${part}' ends with .lock`;
  }
  return undefined;
}

/** Pattern of a full SHA-1 commit id. */
const sha1Pattern = /^[0-9a-f]{40}$/;

/**
 * The reference a `spec.ref` selects (see {@link SelectedRef}), checked: names must be valid
 * ref names, a `name` must start with `refs/`, a commit must be a full 40-character SHA-1
 * (git cannot fetch an abbreviated one), a semver range must parse. Throws ReconcileError
 * (GitOperationFailed) naming the field and the value otherwise.
 */
export function selectReference(ref: GitRepositoryRef | undefined): SelectedRef {
  const r = ref ?? {};
  const checkName = (what: string, v: string): void => {
    const p = refNameProblem(v);
    if (p) throw invalidRef(what, v, p);
  };
  if (r.branch) checkName('branch', r.branch);
  if (r.commit) {
    const commit = r.commit.toLowerCase();
    if (!sha1Pattern.test(commit)) throw invalidRef('commit', r.commit, 'expected a full 40-character hexadecimal SHA-1');
    return r.branch ? { kind: 'commit', commit, branch: r.branch } : { kind: 'commit', commit };
  }
  if (r.name) {
    checkName('reference name', r.name);
    if (!r.name.startsWith('refs/')) throw invalidRef('reference name', r.name, 'expected a full reference such as refs/heads/main, refs/tags/v1.0.0 or refs/pull/1/head');
    return { kind: 'name', name: r.name };
  }
  if (r.semver) {
    semverRange(r.semver);
    return { kind: 'semver', range: r.semver };
  }
  if (r.tag) {
    checkName('tag', r.tag);
    return { kind: 'tag', tag: r.tag };
  }
  return { kind: 'branch', branch: r.branch || defaultBranch };
}

/** A human description of a selected reference for messages: `branch 'main'`, `semver '>=1'`. */
export function describeRef(ref: SelectedRef): string {
  switch (ref.kind) {
    case 'commit':
      return ref.branch ? `commit '${ref.commit}' on branch '${ref.branch}'` : `commit '${ref.commit}'`;
    case 'name':
      return `reference '${ref.name}'`;
    case 'semver':
      return `semver range '${ref.range}'`;
    case 'tag':
      return `tag '${ref.tag}'`;
    case 'branch':
      return `branch '${ref.branch}'`;
  }
}

/** One line of `git ls-remote`: a ref and the object it points at, and for an annotated tag the commit. */
export interface RemoteRef {
  name: string;
  /** The object the ref points at (a tag object for annotated tags). */
  oid: string;
  /** For annotated tags, the commit the tag object points at (the `^{}` line). */
  peeled?: string;
}

/** Parses `git ls-remote` output into refs, folding each `<ref>^{}` line into its ref's `peeled`. */
export function parseLsRemote(output: string): Map<string, RemoteRef> {
  const refs = new Map<string, RemoteRef>();
  const peeled = new Map<string, string>();
  for (const line of output.split('\n')) {
    const m = /^([0-9a-f]{40}|[0-9a-f]{64})\t(\S+)$/.exec(line.trim());
    if (!m) continue;
    const oid = m[1] ?? '';
    const name = m[2] ?? '';
    if (name.endsWith('^{}')) peeled.set(name.slice(0, -3), oid);
    else refs.set(name, { name, oid });
  }
  for (const [name, oid] of peeled) {
    const r = refs.get(name);
    if (r) r.peeled = oid;
  }
  return refs;
}

/** The commit a remote ref resolves to: the peeled commit of an annotated tag, else its object. */
export function refCommit(r: RemoteRef): string {
  return r.peeled ?? r.oid;
}

/**
 * Parses a tag as a semantic version the way Flux's semver library (Masterminds) does: a
 * leading `v` is allowed and a missing minor or patch counts as 0 (`v1.2` is 1.2.0). Returns
 * undefined for tags that are not versions; they are ignored.
 */
export function parseTagVersion(tag: string): semver.SemVer | undefined {
  const m = /^v?(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:\.(0|[1-9]\d*))?(-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/.exec(tag);
  if (!m) return undefined;
  const text = `${m[1]}.${m[2] ?? '0'}.${m[3] ?? '0'}${m[4] ?? ''}${m[5] ?? ''}`;
  return semver.parse(text) ?? undefined;
}

/**
 * A Masterminds semver constraint as a node-semver range: commas (AND) become spaces and
 * `=<`/`=>` become `<=`/`>=`. Throws ReconcileError (GitOperationFailed) for a range that
 * does not parse, or uses `!=`, which node-semver cannot express.
 */
export function semverRange(range: string): semver.Range {
  if (range.includes('!=')) throw invalidRef('semver range', range, '!= is not supported; use a range such as >=1.0.0 <1.2.0 || >1.2.0');
  const normalized = range.replace(/,/g, ' ').replace(/=</g, '<=').replace(/=>/g, '>=');
  try {
    return new semver.Range(normalized);
  } catch {
    throw invalidRef('semver range', range, 'not a semantic version range (e.g. >=1.0.0, ^1.2, ~1.2.3, 1.x)');
  }
}

/**
 * The tag a semver range selects among a remote's tags: the highest version satisfying the
 * range; tags that are not versions are ignored. Between tags of equal version (`v1.0.0` and
 * `1.0.0`) the one sorting last by name wins, so the choice is stable. Undefined when none match.
 */
export function pickSemverTag(tags: Iterable<string>, range: string): string | undefined {
  const r = semverRange(range);
  let best: { tag: string; version: semver.SemVer } | undefined;
  for (const tag of tags) {
    const version = parseTagVersion(tag);
    if (!version || !r.test(version)) continue;
    const c = best ? semver.compare(version, best.version) : 1;
    if (!best || c > 0 || (c === 0 && tag > best.tag)) best = { tag, version };
  }
  return best?.tag;
}

/** The tag names among remote refs (`refs/tags/<name>` → `<name>`). */
export function tagNames(refs: Map<string, RemoteRef>): string[] {
  return [...refs.keys()].filter((n) => n.startsWith('refs/tags/')).map((n) => n.slice('refs/tags/'.length));
}

/**
 * The artifact revision of a checkout in Flux's format: `<branch>@sha1:<hex>`,
 * `<tag>@sha1:<hex>` (the commit, also for annotated tags), `<refname>@sha1:<hex>`, or
 * `sha1:<hex>` for a commit without branch. `name` is undefined for the bare commit.
 */
export function gitRevision(name: string | undefined, commit: string): string {
  return formatRevision(name ? { name, digest: { algorithm: 'sha1', encoded: commit } } : { digest: { algorithm: 'sha1', encoded: commit } });
}

/**
 * A `spec.sparseCheckout` folder in canonical form (`./deploy/prod/` → `deploy/prod`). Throws
 * ReconcileError (GitOperationFailed) for a folder outside the tree or the root itself.
 */
export function sparseDir(dir: string): string {
  const clean = dir.replace(/^\.\//, '').replace(/^\/+|\/+$/g, '');
  if (!clean || clean.split('/').some((p) => p === '..' || p === '.' || p === '')) {
    throw invalidRef('sparse checkout folder', dir, 'expected a folder path inside the repository, e.g. deploy/prod');
  }
  return clean;
}

/**
 * Patterns for a non-cone sparse checkout of the given folders: `/<dir>/` for each, with
 * gitignore's special characters escaped. Only those folders are checked out, not the files at
 * the root (as Flux).
 */
export function sparsePatterns(dirs: readonly string[]): string[] {
  return dirs.map((d) => `/${sparseDir(d).replace(/[\\*?[\]!#]/g, (c) => `\\${c}`)}/`);
}
