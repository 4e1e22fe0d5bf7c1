import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Reason } from '@eddy/api';
import { ReconcileError } from '@eddy/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { Storage } from '../../src/storage/storage.ts';
import { listArchive, removeTempDirs, tempDir, writeTree } from './helpers.ts';

afterEach(removeTempDirs);

const sha = 'a'.repeat(40);

async function newStorage(options: { retentionTtlMs?: number; retentionRecords?: number } = {}): Promise<Storage> {
  return new Storage({ root: await tempDir(), advertisedAddress: 'source-controller.flux-system.svc.cluster.local.', ...options });
}

describe('Storage paths and URLs', () => {
  it.each([
    ['source-controller.flux-system.svc.cluster.local.', 'http://source-controller.flux-system.svc.cluster.local./gitrepository/flux-system/podinfo/abc.tar.gz'],
    ['localhost:9090', 'http://localhost:9090/gitrepository/flux-system/podinfo/abc.tar.gz'],
    ['https://artifacts.example.com/', 'https://artifacts.example.com/gitrepository/flux-system/podinfo/abc.tar.gz'],
    ['http://127.0.0.1:1234', 'http://127.0.0.1:1234/gitrepository/flux-system/podinfo/abc.tar.gz'],
  ])('advertised %s gives %s', (advertisedAddress, url) => {
    const storage = new Storage({ root: '/data', advertisedAddress });
    expect(storage.artifactFor('GitRepository', 'flux-system', 'podinfo', `main@sha1:${sha}`, 'abc.tar.gz')).toEqual({
      path: 'gitrepository/flux-system/podinfo/abc.tar.gz',
      url,
      revision: `main@sha1:${sha}`,
      digest: '',
      lastUpdateTime: '',
    });
  });

  it.each([
    ['GitRepository', 'ns', 'name', '../x.tar.gz', 'file name'],
    ['GitRepository', '..', 'name', 'x.tar.gz', 'namespace'],
    ['GitRepository', 'ns', 'a/b', 'x.tar.gz', 'name'],
    ['', 'ns', 'name', 'x.tar.gz', 'kind'],
  ])('refuses %s %s/%s file %s (bad %s)', (kind, ns, name, file, what) => {
    const storage = new Storage({ root: '/data', advertisedAddress: 'x' });
    const err = (() => {
      try {
        storage.artifactFor(kind, ns, name, 'r', file);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ReconcileError);
    expect([(err as ReconcileError).reason, (err as ReconcileError).message]).toEqual([Reason.InvalidPath, `invalid ${what} ${JSON.stringify(what === 'kind' ? kind : what === 'namespace' ? ns : what === 'name' ? name : file)} for a storage path`]);
  });

  it('refuses an artifact path leaving the root', async () => {
    const storage = await newStorage();
    expect(() => storage.localPath({ path: '../../etc/passwd' })).toThrow(/outside the storage/);
    expect(storage.localPath({ path: 'gitrepository/a/b/c.tar.gz' })).toBe(join(storage.root, 'gitrepository/a/b/c.tar.gz'));
  });
});

describe('Storage writes', () => {
  it('archives a directory into the artifact and fills digest, size and lastUpdateTime', async () => {
    const storage = await newStorage();
    const src = await tempDir();
    await writeTree(src, { 'app.yaml': 'a', '.git/HEAD': 'x' });
    const artifact = storage.artifactFor('GitRepository', 'ns', 'app', `main@sha1:${sha}`, `${sha}.tar.gz`);
    expect(await storage.exists(artifact)).toBe(false);
    const before = Date.now();
    const stored = await storage.archive(artifact, src, (p) => p === '.git');
    const bytes = await readFile(storage.localPath(stored));
    expect(stored).toEqual({ ...artifact, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length, lastUpdateTime: stored.lastUpdateTime });
    expect(Date.parse(stored.lastUpdateTime)).toBeGreaterThanOrEqual(before - 1000);
    expect(await storage.exists(stored)).toBe(true);
    expect((await listArchive(storage.localPath(stored))).map((e) => e.path)).toEqual(['app.yaml']);
  });

  it('turns archive failures into ReconcileError ArchiveOperationFailed', async () => {
    const storage = await newStorage();
    const artifact = storage.artifactFor('GitRepository', 'ns', 'app', 'r', 'x.tar.gz');
    const err = await storage.archive(artifact, join(storage.root, 'missing')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReconcileError);
    expect((err as ReconcileError).reason).toBe(Reason.ArchiveOperationFailed);
    expect((err as ReconcileError).message).toMatch(/^failed to archive gitrepository\/ns\/app\/x\.tar\.gz: ENOENT/);
  });

  it('copies a file verbatim with its sha256 digest', async () => {
    const storage = await newStorage();
    const src = join(await tempDir(), 'layer.tar.gz');
    await writeFile(src, 'layer bytes');
    const artifact = storage.artifactFor('OCIRepository', 'ns', 'app', `latest@sha256:${'b'.repeat(64)}`, `${'b'.repeat(64)}.tar.gz`);
    const stored = await storage.copy(artifact, src);
    expect([stored.digest, stored.size, await readFile(storage.localPath(stored), 'utf8')]).toEqual([`sha256:${createHash('sha256').update('layer bytes').digest('hex')}`, 11, 'layer bytes']);
  });

  it('points latest.tar.gz at the newest artifact, replacing the link', async () => {
    const storage = await newStorage();
    const src = join(await tempDir(), 'layer');
    await writeFile(src, 'one');
    const first = await storage.copy(storage.artifactFor('OCIRepository', 'ns', 'app', 'r1', 'one.tar.gz'), src);
    expect(await storage.symlinkLatest(first)).toBe('http://source-controller.flux-system.svc.cluster.local./ocirepository/ns/app/latest.tar.gz');
    await writeFile(src, 'two');
    const second = await storage.copy(storage.artifactFor('OCIRepository', 'ns', 'app', 'r2', 'two.tar.gz'), src);
    await storage.symlinkLatest(second);
    const dir = join(storage.root, 'ocirepository/ns/app');
    expect([await readlink(join(dir, 'latest.tar.gz')), await readFile(join(dir, 'latest.tar.gz'), 'utf8')]).toEqual(['two.tar.gz', 'two']);
    expect((await readdir(dir)).sort()).toEqual(['latest.tar.gz', 'one.tar.gz', 'two.tar.gz']);
  });

  it('removes every file of an object, and a missing object is fine', async () => {
    const storage = await newStorage();
    const src = await tempDir();
    await writeTree(src, { 'a.yaml': 'a' });
    const stored = await storage.archive(storage.artifactFor('GitRepository', 'ns', 'app', 'r', 'x.tar.gz'), src);
    await storage.symlinkLatest(stored);
    await storage.remove('GitRepository', 'ns', 'app');
    expect(await storage.exists(stored)).toBe(false);
    expect(await readdir(join(storage.root, 'gitrepository/ns'))).toEqual([]);
    await storage.remove('GitRepository', 'ns', 'never');
  });

  it('serialises concurrent writes of one object; every result is a complete file', async () => {
    const storage = await newStorage();
    const src = await tempDir();
    await writeTree(src, { 'a.yaml': 'a'.repeat(100_000) });
    const artifact = storage.artifactFor('GitRepository', 'ns', 'app', 'r', 'x.tar.gz');
    const results = await Promise.all([1, 2, 3, 4].map(() => storage.archive(artifact, src)));
    expect(new Set(results.map((r) => r.digest)).size).toBe(1);
    expect(await readdir(join(storage.root, 'gitrepository/ns/app'))).toEqual(['x.tar.gz']);
  });
});

describe('Storage.garbageCollect', () => {
  /** Writes artifact files `names` (oldest first, one second apart, the newest `newestAgeMs` old). */
  async function seed(storage: Storage, names: string[], newestAgeMs: number): Promise<number> {
    const dir = join(storage.root, 'gitrepository/ns/app');
    const now = Date.now();
    await writeTree(dir, Object.fromEntries(names.map((n) => [n, n])));
    for (const [i, n] of names.entries()) {
      const t = new Date(now - newestAgeMs - (names.length - 1 - i) * 1000);
      await utimes(join(dir, n), t, t);
    }
    return now;
  }

  const remaining = async (storage: Storage): Promise<string[]> => (await readdir(join(storage.root, 'gitrepository/ns/app'))).sort();

  it.each<{ name: string; ttl: number; records: number; keep: string; newestAgeMs: number; left: string[] }>([
    { name: 'keeps the newest N including the current one', ttl: 3_600_000, records: 2, keep: 'e.tar.gz', newestAgeMs: 0, left: ['d.tar.gz', 'e.tar.gz'] },
    { name: 'never removes the current one, even the oldest', ttl: 3_600_000, records: 2, keep: 'a.tar.gz', newestAgeMs: 0, left: ['a.tar.gz', 'e.tar.gz'] },
    { name: 'keeps only the current one with one record', ttl: 3_600_000, records: 1, keep: 'c.tar.gz', newestAgeMs: 0, left: ['c.tar.gz'] },
    { name: 'removes files older than the TTL within the count', ttl: 60_000, records: 10, keep: 'e.tar.gz', newestAgeMs: 58_500, left: ['d.tar.gz', 'e.tar.gz'] },
    { name: 'keeps an expired current artifact', ttl: 1000, records: 10, keep: 'b.tar.gz', newestAgeMs: 120_000, left: ['b.tar.gz'] },
  ])('$name', async ({ ttl, records, keep, newestAgeMs, left }) => {
    const storage = await newStorage({ retentionTtlMs: ttl, retentionRecords: records });
    const names = ['a.tar.gz', 'b.tar.gz', 'c.tar.gz', 'd.tar.gz', 'e.tar.gz'];
    const now = await seed(storage, names, newestAgeMs);
    const removed = await storage.garbageCollect('GitRepository', 'ns', 'app', storage.artifactFor('GitRepository', 'ns', 'app', 'r', keep), new Date(now));
    expect(await remaining(storage)).toEqual(left);
    expect(removed).toEqual(names.filter((n) => !left.includes(n)).map((n) => `gitrepository/ns/app/${n}`));
  });

  it('leaves symlinks alone and removes leftover temporary files', async () => {
    const storage = await newStorage({ retentionTtlMs: 3_600_000, retentionRecords: 2 });
    const src = join(await tempDir(), 'f');
    await writeFile(src, 'x');
    const current = await storage.copy(storage.artifactFor('OCIRepository', 'ns', 'app', 'r', 'cur.tar.gz'), src);
    await storage.symlinkLatest(current);
    await writeFile(join(storage.root, 'ocirepository/ns/app/.cur.tar.gz.tmp-123abc'), 'partial');
    const removed = await storage.garbageCollect('OCIRepository', 'ns', 'app', current);
    expect(removed).toEqual(['ocirepository/ns/app/.cur.tar.gz.tmp-123abc']);
    expect((await readdir(join(storage.root, 'ocirepository/ns/app'))).sort()).toEqual(['cur.tar.gz', 'latest.tar.gz']);
    expect((await lstat(join(storage.root, 'ocirepository/ns/app/latest.tar.gz'))).isSymbolicLink()).toBe(true);
  });

  it('does nothing for an object without a folder', async () => {
    const storage = await newStorage();
    expect(await storage.garbageCollect('GitRepository', 'ns', 'none', { path: 'gitrepository/ns/none/x.tar.gz' })).toEqual([]);
  });
});
