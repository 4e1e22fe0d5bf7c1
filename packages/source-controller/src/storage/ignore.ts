/**
 * The exclusion rules of an artifact archive, as Flux's `sourceignore` package defines them:
 * the default exclusions, `.spec.ignore`, and `.sourceignore` files anywhere in the tree, all in
 * gitignore syntax and evaluated as ONE ordered rule list in which the last matching rule wins.
 *
 * Order of the rules (later ones overrule earlier ones, so a `!pattern` can re-include):
 * 1. the VCS exclusions (`.git/`, `.gitignore`, `.gitmodules`, `.gitattributes`), always, as
 *    Flux keeps them whatever else is configured: a `.git` folder never ends up in an artifact
 *    unless `.spec.ignore` re-includes it explicitly;
 * 2. the other default exclusions, only when `.spec.ignore` is not set (it replaces them);
 * 3. every `.sourceignore` file, parents before children, each relative to its own folder;
 * 4. `.spec.ignore`, relative to the root (Flux: it "may overrule the .sourceignore file
 *    exclusions").
 */
import { lstat, open, readdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import ignore from 'ignore';

/** The name of the per-folder ignore file Flux reads. */
export const sourceIgnoreFile = '.sourceignore';

/** Flux's VCS exclusions, applied whatever `.spec.ignore` says. */
export const vcsExclusions: readonly string[] = ['.git/', '.gitignore', '.gitmodules', '.gitattributes'];

/** Flux's default exclusions besides the VCS ones; `.spec.ignore` replaces these. */
export const defaultExclusions: readonly string[] = [
  // Binary and archive extensions.
  '*.jpg',
  '*.jpeg',
  '*.gif',
  '*.png',
  '*.wmv',
  '*.flv',
  '*.tar.gz',
  '*.zip',
  // CI configuration.
  '.github/',
  '.circleci/',
  '.travis.yml',
  '.gitlab-ci.yml',
  'appveyor.yml',
  '.drone.yml',
  'cloudbuild.yaml',
  'codeship-services.yml',
  'codeship-steps.yml',
  // Tool configuration that is not meant for the cluster.
  '**/.goreleaser.yml',
  '**/.sops.yaml',
  '**/.flux.yaml',
];

/**
 * A predicate telling whether a path is excluded from an archive. `relPath` is relative to the
 * archived root with `/` separators and no leading `./`; `isDir` says whether it names a
 * directory (directory-only patterns such as `.git/` match only those). A directory that is
 * excluded excludes everything below it: the archiver does not descend into it.
 */
export type IgnorePredicate = (relPath: string, isDir: boolean) => boolean;

/** Options of {@link loadIgnoreRules}. */
export interface LoadIgnoreOptions {
  /** Cancels the walk that looks for `.sourceignore` files. */
  signal?: AbortSignal;
  /** Largest `.sourceignore` file read, in bytes; larger ones are an error. Default 1 MiB. */
  maxFileSize?: number;
}

const defaultMaxIgnoreFileSize = 1 << 20;

/**
 * Splits a gitignore text into its rule lines: comments and blank lines dropped, CR removed.
 * Trailing-space handling and escapes are left to the `ignore` package, which follows git.
 */
export function readPatterns(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.trim() !== '' && !line.startsWith('#'));
}

/**
 * Rewrites a rule of the ignore file in folder `domain` (relative to the root, `/` separated,
 * empty for the root itself) into an equivalent rule relative to the root, as git scopes a
 * nested .gitignore: a pattern with a slash (other than a trailing one) is anchored to the
 * folder; one without matches at any depth below it.
 */
export function scopePattern(pattern: string, domain: string): string {
  if (domain === '') return pattern;
  const negative = pattern.startsWith('!');
  const body = negative ? pattern.slice(1) : pattern;
  const anchored = body.replace(/\/+$/, '').includes('/');
  const scoped = anchored ? `/${domain}/${body.replace(/^\/+/, '')}` : `/${domain}/**/${body}`;
  return negative ? `!${scoped}` : scoped;
}

/**
 * Builds the exclusion predicate of the archive of `root`: the rules described at the top of
 * this module, with `specIgnore` being `.spec.ignore` (undefined when the field is unset; an
 * empty string is set, and still replaces the defaults). `.sourceignore` files are looked for in
 * every folder except `.git` folders, without following symlinks.
 */
export async function loadIgnoreRules(root: string, specIgnore: string | undefined, options: LoadIgnoreOptions = {}): Promise<IgnorePredicate> {
  // Paths are case-sensitive, as git's are on Linux (the `ignore` package defaults otherwise).
  const rules = ignore({ ignorecase: false });
  rules.add([...vcsExclusions]);
  if (specIgnore === undefined) rules.add([...defaultExclusions]);
  for (const { domain, text } of await findSourceIgnoreFiles(root, options)) {
    rules.add(readPatterns(text).map((p) => scopePattern(p, domain)));
  }
  if (specIgnore !== undefined) rules.add(readPatterns(specIgnore));
  return (relPath, isDir) => {
    const path = posix.normalize(relPath).replace(/\/+$/, '');
    if (path === '' || path === '.') return false;
    return rules.ignores(isDir ? `${path}/` : path);
  };
}

/** Every `.sourceignore` under `root`, parents before children (depth-first, sorted names). */
async function findSourceIgnoreFiles(root: string, options: LoadIgnoreOptions): Promise<{ domain: string; text: string }[]> {
  const found: { domain: string; text: string }[] = [];
  const maxSize = options.maxFileSize ?? defaultMaxIgnoreFileSize;
  const visit = async (domain: string): Promise<void> => {
    options.signal?.throwIfAborted();
    const dir = domain === '' ? root : join(root, domain);
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => compareNames(a.name, b.name));
    const file = entries.find((e) => e.name === sourceIgnoreFile && e.isFile());
    if (file) found.push({ domain, text: await readBounded(join(dir, file.name), maxSize) });
    for (const e of entries) {
      // Dirent reports symlinks as such (never as directories), so links are not followed.
      if (e.isDirectory() && e.name !== '.git') await visit(domain === '' ? e.name : `${domain}/${e.name}`);
    }
  };
  await visit('');
  return found;
}

/** Reads a small text file, refusing one larger than `maxSize` bytes. */
async function readBounded(file: string, maxSize: number): Promise<string> {
  const st = await lstat(file);
  if (st.size > maxSize) throw new Error(`${file} is ${st.size} bytes, larger than the ${maxSize} bytes allowed for an ignore file`);
  const handle = await open(file, 'r');
  try {
    // One byte more than expected tells a file that grew since lstat.
    const buf = Buffer.alloc(st.size + 1);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    if (bytesRead > st.size) throw new Error(`${file} changed while being read`);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** Byte-order comparison of names (as Go's sort of strings), so walks are deterministic. */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
