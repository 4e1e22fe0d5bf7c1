// Test helpers of the storage tests: temp dirs, trees written from a table and archive listings.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { list, type ReadEntry } from 'tar';

/** Temp dirs created by a test file, removed by {@link removeTempDirs}. */
const created: string[] = [];

/** A new empty temp dir. */
export async function tempDir(prefix = 'eddy-storage-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** Removes every temp dir made so far (call in afterEach). */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(created.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** A tree to write: path → file content, or `{ symlink }` for a link, or `{ content, mode }`. */
export type Tree = Record<string, string | { symlink: string } | { content: string; mode: number }>;

/** Writes `tree` under `root`. */
export async function writeTree(root: string, tree: Tree): Promise<void> {
  for (const [path, spec] of Object.entries(tree)) {
    const abs = join(root, path);
    await mkdir(dirname(abs), { recursive: true });
    if (typeof spec === 'string') await writeFile(abs, spec);
    else if ('symlink' in spec) await symlink(spec.symlink, abs);
    else await writeFile(abs, spec.content, { mode: spec.mode });
  }
}

/** One entry of a listed archive. */
export interface Listed {
  path: string;
  type: string;
  mode: number | undefined;
  size: number;
  uid: number | undefined;
  gid: number | undefined;
  uname: string | undefined;
  gname: string | undefined;
  mtime: number | undefined;
  linkpath: string | undefined;
  content: string;
}

/** Every entry of an archive file, in order, with its content. */
export async function listArchive(file: string): Promise<Listed[]> {
  const out: Listed[] = [];
  await list({
    file,
    onReadEntry: (e: ReadEntry) => {
      const chunks: Buffer[] = [];
      const item: Listed = {
        path: e.path,
        type: e.type,
        mode: e.mode,
        size: e.size,
        uid: e.uid,
        gid: e.gid,
        uname: e.uname,
        gname: e.gname,
        mtime: e.mtime?.getTime(),
        linkpath: e.linkpath,
        content: '',
      };
      out.push(item);
      e.on('data', (c: Buffer) => chunks.push(c));
      e.on('end', () => {
        item.content = Buffer.concat(chunks).toString('utf8');
      });
    },
  });
  return out;
}
