import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactServer } from '../../src/storage/server.ts';
import { Storage } from '../../src/storage/storage.ts';
import { removeTempDirs, tempDir, writeTree } from './helpers.ts';

/** A raw HTTP exchange: the path is sent exactly as given (no URL normalisation, unlike fetch). */
async function send(address: string, path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, method, agent: false, signal: AbortSignal.timeout(10_000) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('ArtifactServer', () => {
  let storage: Storage;
  let server: ArtifactServer;
  let address: string;
  let outside: string;

  beforeAll(async () => {
    storage = new Storage({ root: await tempDir(), advertisedAddress: 'localhost' });
    outside = await tempDir();
    await writeFile(join(outside, 'secret'), 'top secret');
    server = new ArtifactServer(storage);
    address = await server.start('127.0.0.1:0');
  });

  afterAll(async () => {
    await server.stop();
    await removeTempDirs();
  });


  it('listens on the resolved address and answers GET / for readiness', async () => {
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(address.endsWith(':0')).toBe(false);
    const res = await send(address, '/');
    expect([res.status, res.body.toString()]).toEqual([200, 'ok\n']);
  });

  it('serves an artifact byte-identical, with type and length; HEAD without a body', async () => {
    const src = await tempDir();
    await writeTree(src, { 'app.yaml': randomBytes(50_000).toString('base64') });
    const stored = await storage.archive(storage.artifactFor('GitRepository', 'ns', 'app', 'r', 'abc.tar.gz'), src);
    const path = new URL(stored.url).pathname;
    const res = await send(address, path);
    expect([res.status, res.headers['content-type'], res.headers['content-length'], sha256(res.body)]).toEqual([200, 'application/gzip', String(stored.size), stored.digest]);
    expect(res.body.equals(await readFile(storage.localPath(stored)))).toBe(true);
    const head = await send(address, path, 'HEAD');
    expect([head.status, head.headers['content-length'], head.body.length]).toEqual([200, String(stored.size), 0]);
  });

  it('serves latest.tar.gz through its symlink', async () => {
    const from = join(await tempDir(), 'layer');
    await writeFile(from, 'layer');
    const stored = await storage.copy(storage.artifactFor('OCIRepository', 'ns', 'app', 'r', 'one.tar.gz'), from);
    const url = await storage.symlinkLatest(stored);
    const res = await send(address, new URL(url).pathname);
    expect([res.status, res.body.toString()]).toEqual([200, 'layer']);
  });

  it.each([
    ['/../../etc/passwd'],
    ['/../../../../../../../../etc/passwd'],
    ['/gitrepository/../../etc/passwd'],
    ['/%2e%2e/%2e%2e/etc/passwd'],
    ['/..%2f..%2f..%2fetc%2fpasswd'],
    ['/gitrepository'],
    ['/gitrepository/'],
    ['/gitrepository/ns/app'],
    ['/missing.tar.gz'],
    ['/escape/secret'],
    ['/escape-file'],
    ['/ns/.abc.tar.gz.tmp-0a1b2c'],
    ['/bad%zzencoding'],
    ['/nul%00byte'],
  ])('answers 404 for %s', async (path) => {
    await mkdir(join(storage.root, 'ns'), { recursive: true });
    await writeFile(join(storage.root, 'ns/.abc.tar.gz.tmp-0a1b2c'), 'half');
    await symlink(outside, join(storage.root, 'escape')).catch(() => undefined);
    await symlink(join(outside, 'secret'), join(storage.root, 'escape-file')).catch(() => undefined);
    const res = await send(address, path);
    expect([res.status, res.body.toString()]).toEqual([404, '404 page not found\n']);
  });

  it('answers 405 to other methods', async () => {
    const res = await send(address, '/', 'POST');
    expect([res.status, res.headers['allow']]).toEqual([405, 'GET, HEAD']);
  });

  it('never serves a half-written artifact while it is being replaced', async () => {
    const src = await tempDir();
    await writeTree(src, Object.fromEntries([1, 2, 3, 4, 5, 6, 7, 8].map((i) => [`f${i}.bin`, randomBytes(512 * 1024).toString('base64')])));
    const artifact = storage.artifactFor('GitRepository', 'ns', 'big', 'r', 'big.tar.gz');
    const first = await storage.archive(artifact, src);
    await writeFile(join(src, 'f1.bin'), randomBytes(512 * 1024).toString('base64'));
    const path = new URL(artifact.url).pathname;
    let done = false;
    const writing = storage.archive(artifact, src).finally(() => {
      done = true;
    });
    const seen: string[] = [];
    // Download while the new version is written, until it is in place.
    while (!done || seen.length < 3) {
      const res = await send(address, path);
      expect(res.status).toBe(200);
      expect(res.body.length).toBe(Number(res.headers['content-length']));
      seen.push(sha256(res.body));
    }
    const second = await writing;
    expect(second.digest).not.toBe(first.digest);
    expect(seen.filter((d) => d !== first.digest && d !== second.digest)).toEqual([]);
  });

  it('stops, and a stopped server refuses connections', async () => {
    const other = new ArtifactServer(storage);
    const addr = await other.start('127.0.0.1:0');
    expect((await send(addr, '/')).status).toBe(200);
    await other.stop();
    await expect(send(addr, '/')).rejects.toThrow(/ECONNREFUSED/);
  });
});
