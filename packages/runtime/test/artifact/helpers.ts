// Helpers of the artifact tests: scratch folders and hand-built (possibly malicious) tar files.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { onTestFinished } from 'vitest';

/** A new empty folder, removed when the calling test finishes. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'eddy-artifact-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** An entry of a hand-built tar. */
export interface RawEntry {
  path: string;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'FIFO';
  body?: string;
  linkpath?: string;
  mode?: number;
}

/** A tar (gzipped unless `gzip` is false) with exactly these headers, nothing sanitised. */
export function rawTar(entries: RawEntry[], gzip = true): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? '');
    const h = new Header({
      path: e.path,
      type: e.type ?? 'File',
      mode: e.mode ?? 0o644,
      size: body.length,
      uid: 0,
      gid: 0,
      mtime: new Date(0),
      linkpath: e.linkpath ?? '',
    });
    h.encode();
    if (!h.block) throw new Error('header not encoded');
    blocks.push(h.block, body);
    const pad = (512 - (body.length % 512)) % 512;
    if (pad) blocks.push(Buffer.alloc(pad));
  }
  blocks.push(Buffer.alloc(1024));
  const tar = Buffer.concat(blocks);
  return gzip ? gzipSync(tar) : tar;
}
